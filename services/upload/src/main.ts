#!/usr/bin/env node
/**
 * Upload HTTP service process (storage `local`): takes the PUTs of the
 * slots the registry gives and serves the files. Needs upload.secret (or
 * secretFile), the same as the registry's, and the storage directory.
 * Exposes /metrics and /healthz on http.port.
 */
import { ConfigError, loadConfig, opsEndpointOptions } from '@parley/config';
import {
  createLogger,
  createMetrics,
  onShutdownSignal,
  startHttpEndpoint,
} from '@parley/telemetry';
import { startUploadService } from './service.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({
    service: 'upload',
    level: config.log.level,
    nodeId: config.server.nodeId,
  });
  const metrics = createMetrics({ defaultLabels: { node: config.server.nodeId } });
  const service = await startUploadService({ config, logger, metrics });
  const http =
    config.http.port === 0
      ? undefined
      : await startHttpEndpoint({
          port: config.http.port,
          host: config.http.host,
          ...opsEndpointOptions(config),
          metrics,
          health: async () => ({ ok: true }),
          ready: async () => ({ ok: true }),
        });
  onShutdownSignal(logger, async () => {
    await service.close();
    await http?.close();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
