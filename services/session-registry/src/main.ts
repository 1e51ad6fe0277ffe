#!/usr/bin/env node
/**
 * Session-registry worker process (cluster mode): owns a share of the
 * partitions (leases in Redis), consumes them from NATS JetStream, mirrors
 * its session table to Redis. Exposes /metrics, /healthz, /readyz on
 * http.port and hands its partitions over on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { BusLiveness, Membership, RedisOwnership, RedisSessionStore } from '@parley/cluster';
import { runEntryPoint, startClusterProcess, storeObserver } from '@parley/process';
import { loadConfig } from '@parley/config';
import { instrumentStore } from '@parley/store';
import { startSessionRegistry } from './registry.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const proc = await startClusterProcess('session-registry', config);
  const { logger, metrics, redis } = proc;
  // A fresh worker id per process start (node id + suffix): a container restarted in
  // place joins as a new member, so nobody mistakes it for the dead one whose
  // partitions were just taken, nor does it inherit anything of that one.
  const workerId = `${proc.id}-${randomBytes(3).toString('hex')}`;
  const gateways = new Membership(redis, 'gateway', 0);
  // Answer liveness probes before joining the membership: peers take a member
  // whose NATS connection is gone for dead and move its partitions at once.
  const liveness = new BusLiveness(proc.bus);
  const alive = await liveness.serve('registry', workerId);
  const ownershipEvents = metrics.counter(
    'parley_registry_ownership_events_total',
    'Partition ownership events: peer-gone (a worker found dead by its closed NATS connection, its partitions taken at once), settle (Redis lost its data: partitions kept, none taken, for one lease lifetime), acquired, released.',
    ['event'],
  );
  const ownership = new RedisOwnership({
    redis,
    workerId,
    partitions: config.routing.partitions,
    peerGone: (id) => liveness.gone('registry', id),
    onEvent: (e) => {
      ownershipEvents.inc({ event: e.kind });
      if (e.kind === 'peer-gone')
        logger.warn('registry worker gone (NATS connection closed); taking its partitions', {
          worker: e.workerId,
        });
      else if (e.kind === 'settle')
        logger.warn('Redis lost its data; keeping partitions until every worker is back', {
          untilMs: e.untilMs,
        });
    },
    onError: (err) => logger.warn('partition rebalance failed', { err }),
  });
  const owned = metrics.gauge(
    'parley_registry_partitions_owned',
    'Partitions this worker consumes',
  );
  const registry = startSessionRegistry({
    config,
    bus: proc.bus,
    stores: proc.stores,
    logger,
    metrics,
    ownership,
    sessionStore: instrumentStore(
      new RedisSessionStore(redis, config.routing.partitions),
      'sessions',
      storeObserver(metrics, 'redis'),
    ),
    gatewayLiveness: {
      live: () => gateways.live(),
      gone: (gw) => liveness.gone('gateway', gw),
    },
  });
  await registry.ready;
  const ownedTimer = setInterval(() => owned.set(registry.partitions.length), 1000);
  const http = await proc.serveHttp(() => ({ partitions: registry.partitions.length }));
  logger.info('session registry started', {
    workerId,
    http: http.port,
    partitions: registry.partitions.length,
  });
  proc.shutdownOnSignal(async () => {
    clearInterval(ownedTimer);
    await registry.close();
    alive.unsubscribe();
  });
}

void runEntryPoint(main);
