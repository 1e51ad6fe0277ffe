#!/usr/bin/env node
/**
 * Gateway process (cluster mode): client connections in, stanzas out to NATS.
 * Configured like every service (PARLEY_* variables, NATS_URL, REDIS_URL,
 * GATEWAY_ID). Exposes /metrics, /healthz, /readyz on http.port and drains
 * on SIGTERM.
 */
import { connectNatsBus } from '@parley/bus';
import { DURABLE_SUBJECTS } from '@parley/routing';
import { Membership, RedisFailureCounter, connectRedis } from '@parley/cluster';
import { ConfigError, loadConfig } from '@parley/config';
import { RedisResumptionStore, openStores } from '@parley/store';
import {
  createLogger,
  createMetrics,
  onShutdownSignal,
  startHttpEndpoint,
} from '@parley/telemetry';
import { startGateway } from './gateway.js';

/** How often a gateway tells the cluster it is alive, and how long that lasts. */
const HEARTBEAT_MS = 2000;
const HEARTBEAT_TTL_MS = 6000;

async function main(): Promise<void> {
  const config = loadConfig();
  const gatewayId = config.server.nodeId.replace(/[^A-Za-z0-9_-]/g, '_');
  const logger = createLogger({ service: 'gateway', level: config.log.level, nodeId: gatewayId });
  const metrics = createMetrics({ defaultLabels: { service: 'gateway', node: gatewayId } });
  const bus = await connectNatsBus({
    servers: config.bus.natsUrl,
    name: `gateway-${gatewayId}`,
    logger,
    stream: { subjects: DURABLE_SUBJECTS },
  });
  const redis = connectRedis(config.redis.url, `gateway-${gatewayId}`);
  const members = new Membership(redis, 'gateway', HEARTBEAT_TTL_MS);
  const beat = () =>
    members
      .heartbeat(gatewayId)
      .catch((err: unknown) => logger.warn('heartbeat failed', { err: String(err) }));
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  const stores = await openStores({ kind: config.store.kind, dataDir: config.server.dataDir });
  // XEP-0198 resumption state in Redis: a client can resume on any gateway.
  const resumption = new RedisResumptionStore({ url: config.redis.url });
  const gateway = await startGateway({
    config,
    bus,
    accounts: stores.accounts,
    logger,
    metrics,
    gatewayId,
    resumption,
    // Failed logins per address count on every gateway (15 min window).
    authFailures: new RedisFailureCounter(redis, 15 * 60_000),
  });
  let draining = false;
  const http = await startHttpEndpoint({
    port: config.http.port,
    host: config.http.host,
    metrics,
    health: async () => ({ ok: true }),
    ready: async () => {
      const status = bus.status();
      const redisOk = redis.status === 'ready';
      return {
        ok: !draining && status.connected && redisOk,
        details: { bus: status, redis: redis.status, draining },
      };
    },
  });
  logger.info('gateway started', {
    gatewayId,
    c2s: gateway.ports.c2s,
    directTls: gateway.ports.directTls,
    http: http.port,
  });
  onShutdownSignal(logger, async () => {
    draining = true;
    await gateway.close('system-shutdown');
    await resumption.close();
    clearInterval(heartbeat);
    await members.leave(gatewayId).catch(() => undefined);
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
