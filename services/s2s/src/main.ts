#!/usr/bin/env node
/**
 * S2S worker process (cluster mode): accepts server-to-server streams on
 * s2s.port (and s2s.directTlsPort) and components on components.port, owns
 * a share of the S2S partitions (leases in Redis, ownership group 's2s'),
 * so each remote domain's outbound connection belongs to one worker and
 * moves, with the stanzas queued for it, when that worker dies. Exposes
 * /metrics, /healthz, /readyz on http.port and hands its partitions over on
 * SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { BusLiveness, RedisOwnership } from '@parley/cluster';
import { loadConfig } from '@parley/config';
import { loadTlsMaterial, runEntryPoint, startClusterProcess } from '@parley/process';
import { startS2sService } from './service.js';
import { RedisPendingStore } from './worker/redis-pending-store.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const proc = await startClusterProcess('s2s', config);
  const { logger, metrics, redis } = proc;
  // A restarted process is a new member: nobody mistakes it for the dead one.
  const workerId = `${proc.id}-${randomBytes(3).toString('hex')}`;
  const tls = await loadTlsMaterial(config, logger);
  // Answer liveness probes before joining: peers take the partitions of a worker whose
  // NATS connection is gone at once instead of after its leases expire.
  const liveness = new BusLiveness(proc.bus);
  const alive = await liveness.serve('s2s', workerId);
  const ownership = new RedisOwnership({
    redis,
    workerId,
    partitions: config.s2s.partitions,
    group: 's2s',
    peerGone: (id) => liveness.gone('s2s', id),
    onEvent: (e) => {
      if (e.kind === 'peer-gone')
        logger.warn('s2s worker gone (NATS connection closed); taking its partitions', {
          worker: e.workerId,
        });
    },
    onError: (err) => logger.warn('s2s partition rebalance failed', { err }),
  });
  const owned = metrics.gauge('parley_s2s_partitions_owned', 'S2S partitions this worker consumes');
  const s2s = await startS2sService({
    config,
    bus: proc.bus,
    logger,
    metrics,
    tls: { cert: tls.cert, key: tls.key },
    ownership,
    pending: new RedisPendingStore(redis),
    requireDialbackSecret: true,
  });
  const gaugeTimer = setInterval(() => owned.set(s2s.worker.partitions.length), 1000);
  const http = await proc.serveHttp(() => ({ partitions: s2s.worker.partitions.length }));
  logger.info('s2s process started', {
    workerId,
    http: http.port,
    port: s2s.port,
    directTlsPort: s2s.directTlsPort,
    componentPort: s2s.componentPort,
  });
  proc.shutdownOnSignal(async () => {
    clearInterval(gaugeTimer);
    await s2s.close();
    alive.unsubscribe();
  });
}

void runEntryPoint(main);
