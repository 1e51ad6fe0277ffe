/**
 * @parley/s2s: federation with other XMPP servers (RFC 6120 server-to-server
 * streams, XEP-0220 Server Dialback, SASL EXTERNAL with certificates) and
 * external components (XEP-0114). See README.md.
 */
export { s2sServiceWanted, startS2sService } from './service.js';
export type { S2sService, S2sServiceOptions } from './service.js';
export { startS2sWorker, s2sPartitionOf } from './worker/s2s-worker.js';
export type {
  ComponentRoutes,
  RemoteServers,
  S2sWorker,
  S2sWorkerOptions,
} from './worker/s2s-worker.js';
export { MemoryPendingStore } from './worker/pending-store.js';
export type { PendingEntry, PendingStore } from './worker/pending-store.js';
export { RedisPendingStore } from './worker/redis-pending-store.js';
