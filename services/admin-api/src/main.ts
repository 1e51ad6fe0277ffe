#!/usr/bin/env node
/**
 * Admin API process (cluster mode): the REST API on admin.host:admin.port
 * over NATS (session operations go to the registry workers) and the shared
 * stores. Exposes /metrics, /healthz, /readyz on http.port (/metrics and the
 * API reference on ops.port when set) and drains on
 * SIGTERM. Scale it freely: every instance answers every request.
 */
import { RedisLoginLimits, loginLimitsOptions } from '@parley/cluster';
import { runEntryPoint, startClusterProcess, storeObserver } from '@parley/process';
import { loadConfig } from '@parley/config';
import { instrumentStore } from '@parley/store';
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
    // The gateways' login limits (Redis): refusals are listed and lifted there.
    loginLimits: instrumentStore(
      new RedisLoginLimits(proc.redis, loginLimitsOptions(config)),
      'login-limits',
      storeObserver(metrics, 'redis'),
    ),
  });
  const http = await proc.serveHttp(() => ({ adminPort: api.port }), api.opsRoutes);
  logger.info('admin API started', { id, port: api.port, http: http.port });
  proc.shutdownOnSignal(() => api.close());
}

void runEntryPoint(main);
