#!/usr/bin/env node
/**
 * Session-registry worker process (cluster mode): owns a share of the
 * partitions (leases in Redis), consumes them from NATS JetStream, mirrors
 * its session table to Redis. Exposes /metrics, /healthz, /readyz on
 * http.port and hands its partitions over on SIGTERM.
 */
import { connectNatsBus } from '@parley/bus';
import { DURABLE_SUBJECTS } from '@parley/routing';
import { Membership, RedisOwnership, RedisSessionStore, connectRedis } from '@parley/cluster';
import { ConfigError, loadConfig } from '@parley/config';
import { openStores } from '@parley/store';
import {
  createLogger,
  createMetrics,
  onShutdownSignal,
  startHttpEndpoint,
} from '@parley/telemetry';
import { startSessionRegistry } from './registry.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const workerId = config.server.nodeId.replace(/[^A-Za-z0-9_-]/g, '_');
  const logger = createLogger({
    service: 'session-registry',
    level: config.log.level,
    nodeId: workerId,
  });
  const metrics = createMetrics({ defaultLabels: { service: 'session-registry', node: workerId } });
  const bus = await connectNatsBus({
    servers: config.bus.natsUrl,
    name: `registry-${workerId}`,
    logger,
    stream: { subjects: DURABLE_SUBJECTS },
  });
  const redis = connectRedis(config.redis.url, `registry-${workerId}`);
  const stores = await openStores({ kind: config.store.kind, dataDir: config.server.dataDir });
  const gateways = new Membership(redis, 'gateway', 0);
  const ownership = new RedisOwnership({
    redis,
    workerId,
    partitions: config.routing.partitions,
    onError: (err) => logger.warn('partition rebalance failed', { err: String(err) }),
  });
  const owned = metrics.gauge(
    'parley_registry_partitions_owned',
    'Partitions this worker consumes',
  );
  const registry = startSessionRegistry({
    config,
    bus,
    stores,
    logger,
    metrics,
    ownership,
    sessionStore: new RedisSessionStore(redis, config.routing.partitions),
    gatewayLiveness: { live: () => gateways.live() },
  });
  await registry.ready;
  const ownedTimer = setInterval(() => owned.set(registry.partitions.length), 1000);
  let draining = false;
  const http = await startHttpEndpoint({
    port: config.http.port,
    host: config.http.host,
    metrics,
    health: async () => ({ ok: true }),
    ready: async () => {
      const status = bus.status();
      return {
        ok: !draining && status.connected && redis.status === 'ready',
        details: {
          bus: status,
          redis: redis.status,
          partitions: registry.partitions.length,
          draining,
        },
      };
    },
  });
  logger.info('session registry started', {
    workerId,
    http: http.port,
    partitions: registry.partitions.length,
  });
  onShutdownSignal(logger, async () => {
    draining = true;
    clearInterval(ownedTimer);
    await registry.close();
    await bus.close();
    await http.close();
    redis.disconnect();
    await stores.close();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
