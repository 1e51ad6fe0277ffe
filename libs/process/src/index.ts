/**
 * What every entry point of a cluster process does: identity, telemetry,
 * the NATS bus and Redis links with their security, the stores named by
 * the configuration, metrics of the links, /metrics, /healthz and /readyz,
 * and an orderly close.
 */
export { processId, startClusterProcess } from './process-runtime.js';
export { runEntryPoint } from './entry-point.js';
export type { ClusterProcess } from './process-runtime.js';
export { busObserver, storeObserver } from './process-metrics.js';
export { openConfiguredStores, storeOptionsFor } from './stores.js';
export type { StoreOpenOptions } from './stores.js';
export { TlsSetupError, loadTlsMaterial } from './tls-material.js';
export type { TlsMaterial } from './tls-material.js';
