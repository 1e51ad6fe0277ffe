import { mkdirSync } from 'node:fs';
import { MemoryBus } from '@parley/bus';
import type { Config } from '@parley/config';
import { processId } from '@parley/cluster';
import { startGateway } from '@parley/gateway';
import type { Gateway } from '@parley/gateway';
import { startSessionRegistry } from '@parley/session-registry';
import type { SessionRegistry } from '@parley/session-registry';
import { openStores as openStoresFor } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics, startHttpEndpoint } from '@parley/telemetry';
import type { HttpEndpoint, Logger, Metrics } from '@parley/telemetry';

export interface RunningServer {
  config: Config;
  gateway: Gateway;
  registry: SessionRegistry;
  stores: Stores;
  bus: MemoryBus;
  metrics: Metrics;
  logger: Logger;
  http?: HttpEndpoint;
  /** Drains the gateway, stops the workers and closes the stores. */
  close(): Promise<void>;
}

export function openStores(config: Config): Promise<Stores> {
  return openStoresFor({ kind: config.store.kind, dataDir: config.server.dataDir });
}

/**
 * The all-in-one server: every service in one process over the in-process
 * bus, with LMDB (or memory) storage. Same service code as the cluster.
 */
export async function startServer(
  config: Config,
  opts: { logger?: Logger } = {},
): Promise<RunningServer> {
  const logger =
    opts.logger ??
    createLogger({ service: 'server', level: config.log.level, nodeId: config.server.nodeId });
  const metrics = createMetrics({ defaultLabels: { node: config.server.nodeId } });
  mkdirSync(config.server.dataDir, { recursive: true });
  const stores = await openStores(config);
  const bus = new MemoryBus();
  bus.onError = (err, subject) => logger.error('bus handler failed', { subject, err: String(err) });
  const registry = startSessionRegistry({
    config,
    bus,
    stores,
    logger: logger.child({ service: 'session-registry' }),
    metrics,
  });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      config,
      bus,
      accounts: stores.accounts,
      logger: logger.child({ service: 'gateway' }),
      metrics,
      gatewayId: processId(config.server.nodeId),
    });
  } catch (err) {
    await registry.close();
    await stores.close();
    throw err;
  }
  let draining = false;
  let http: HttpEndpoint | undefined;
  if (config.http.port !== 0) {
    http = await startHttpEndpoint({
      port: config.http.port,
      host: config.http.host,
      metrics,
      health: async () => ({ ok: true }),
      ready: async () => ({
        ok: !draining,
        details: { connections: gateway.connectionCount(), sessions: registry.sessionCount() },
      }),
    });
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    gateway,
    registry,
    stores,
    bus,
    metrics,
    logger,
    ...(http ? { http } : {}),
    close() {
      closing ??= (async () => {
        draining = true;
        await gateway.close('system-shutdown');
        await registry.idle();
        await registry.close();
        await http?.close();
        await bus.close();
        await stores.close();
      })();
      return closing;
    },
  };
}
