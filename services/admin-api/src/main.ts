#!/usr/bin/env node
/**
 * Admin API process (cluster mode): the REST API on admin.host:admin.port
 * over NATS (session operations go to the registry workers) and the shared
 * stores. Exposes /metrics, /healthz, /readyz on http.port and drains on
 * SIGTERM. Scale it freely: every instance answers every request.
 */
import { startClusterProcess } from '@parley/process';
import { ConfigError, loadConfig } from '@parley/config';
import { onShutdownSignal } from '@parley/telemetry';
import { startAdminApi } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const proc = await startClusterProcess('admin-api', config);
  const { id, logger, metrics } = proc;
  const api = await startAdminApi({
    config,
    bus: proc.bus,
    stores: proc.stores,
    logger,
    metrics,
    instance: id,
  });
  const http = await proc.serveHttp(() => ({ adminPort: api.port }));
  logger.info('admin API started', { id, port: api.port, http: http.port });
  onShutdownSignal(logger, async () => {
    proc.draining = true;
    await api.close();
    await proc.close();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
