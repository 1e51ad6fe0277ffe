#!/usr/bin/env node
/**
 * Gateway process (cluster mode): client connections in, stanzas out to NATS.
 * Configured like every service (PARLEY_* variables, NATS_URL, REDIS_URL,
 * GATEWAY_ID). Exposes /metrics, /healthz, /readyz on http.port and drains
 * on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import {
  BusLiveness,
  Membership,
  readTerms,
  RedisLoginLimits,
  loginLimitsOptions,
  redisSecurityOptions,
} from '@parley/cluster';
import { runEntryPoint, startClusterProcess, storeObserver } from '@parley/process';
import { loadConfig, redisConnectionSecurity } from '@parley/config';
import { RedisResumptionStore, instrumentStore } from '@parley/store';
import { startGateway } from './gateway.js';

/** How often a gateway tells the cluster it is alive, and how long that lasts. */
const HEARTBEAT_MS = 2000;
const HEARTBEAT_TTL_MS = 6000;

async function main(): Promise<void> {
  const config = loadConfig();
  const proc = await startClusterProcess('gateway', config);
  const { logger, redis } = proc;
  // The gateway's id on the bus is its node id plus a suffix drawn at each start. A
  // container restarted in place (same pod name, same NODE_ID) is then a new gateway:
  // the registry drains what was pending for the old one without ever taking
  // deliveries meant for the new one's connections.
  const gatewayId = `${proc.id}-${randomBytes(3).toString('hex')}`;
  logger.info('gateway id', { gatewayId });
  const members = new Membership(redis, 'gateway', HEARTBEAT_TTL_MS);
  const beat = () =>
    members.heartbeat(gatewayId).catch((err: unknown) => logger.warn('heartbeat failed', { err }));
  // Liveness probes over NATS: a registry worker drains this gateway's deliveries as soon as it
  // finds its NATS connection gone (after a crash), so resumed sessions get them at once.
  const alive = await new BusLiveness(proc.bus).serve('gateway', gatewayId);
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  // XEP-0198 resumption state in Redis: a client can resume on any gateway.
  const redisOps = storeObserver(proc.metrics, 'redis');
  const resumption = instrumentStore(
    new RedisResumptionStore({
      url: config.redis.url,
      redisOptions: redisSecurityOptions(redisConnectionSecurity(config)),
    }),
    'resumption',
    redisOps,
  );
  const gateway = await startGateway({
    config,
    bus: proc.bus,
    accounts: proc.stores.accounts,
    fastTokens: proc.stores.fastTokens,
    invitations: proc.stores.invitations,
    logger,
    metrics: proc.metrics,
    gatewayId,
    resumption,
    // Login and registration limits: every gateway counts the same failures and refusals.
    loginLimits: instrumentStore(
      new RedisLoginLimits(redis, loginLimitsOptions(config)),
      'login-limits',
      redisOps,
    ),
    partitionTerms: () => readTerms(redis, config.routing.partitions),
    // Every gateway must show an unknown user the same salt (issue 15).
    unconfiguredFakeSaltSecret: 'refuse',
  });
  const http = await proc.serveHttp();
  logger.info('gateway started', {
    gatewayId,
    c2s: gateway.ports.c2s,
    directTls: gateway.ports.directTls,
    websocket: gateway.ports.websocket,
    websocketTls: gateway.ports.websocketTls,
    http: http.port,
  });
  proc.shutdownOnSignal(async () => {
    await gateway.close('system-shutdown');
    await resumption.close();
    clearInterval(heartbeat);
    await members.leave(gatewayId).catch(() => undefined);
    alive.unsubscribe();
  });
}

void runEntryPoint(main);
