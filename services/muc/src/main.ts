#!/usr/bin/env node
/**
 * MUC worker process (cluster mode): owns a share of the MUC partitions
 * (leases in Redis, ownership group 'muc'), consumes them from NATS
 * JetStream, mirrors the rooms' hot state (occupants, roles, history,
 * temporary rooms) to Redis. Exposes /metrics, /healthz, /readyz on
 * http.port and hands its partitions over on SIGTERM.
 */
import { RedisOwnership } from '@parley/cluster';
import { runEntryPoint, startClusterProcess, storeObserver } from '@parley/process';
import { instrumentStore } from '@parley/store';
import { loadConfig } from '@parley/config';
import { startMucService } from './service.js';
import { RedisMucStateStore } from './state-store.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const proc = await startClusterProcess('muc', config);
  const { id: workerId, logger, metrics, redis } = proc;
  const ownership = new RedisOwnership({
    redis,
    workerId,
    partitions: config.muc.partitions,
    group: 'muc',
    onError: (err) => logger.warn('muc partition rebalance failed', { err }),
  });
  const owned = metrics.gauge('parley_muc_partitions_owned', 'MUC partitions this worker consumes');
  const rooms = metrics.gauge('parley_muc_rooms', "Rooms in this worker's memory");
  const occupants = metrics.gauge('parley_muc_occupants', 'Occupants of the rooms in memory');
  const muc = startMucService({
    config,
    bus: proc.bus,
    stores: proc.stores,
    logger,
    metrics,
    ownership,
    stateStore: instrumentStore(
      new RedisMucStateStore(redis, config.muc.partitions),
      'muc-state',
      storeObserver(proc.metrics, 'redis'),
    ),
  });
  await muc.ready;
  const gaugeTimer = setInterval(() => {
    owned.set(muc.partitions.length);
    rooms.set(muc.roomCount());
    occupants.set(muc.occupantCount());
  }, 1000);
  const http = await proc.serveHttp(() => ({
    partitions: muc.partitions.length,
    rooms: muc.roomCount(),
  }));
  logger.info('muc service started', {
    workerId,
    domains: muc.domains,
    http: http.port,
    partitions: muc.partitions.length,
  });
  proc.shutdownOnSignal(async () => {
    clearInterval(gaugeTimer);
    await muc.close();
  });
}

void runEntryPoint(main);
