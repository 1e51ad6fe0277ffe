import { connectNatsBus } from '@parley/bus';
import type { NatsBus } from '@parley/bus';
import {
  natsConnectionSecurity,
  opsEndpointOptions,
  redisConnectionSecurity,
} from '@parley/config';
import type { Config } from '@parley/config';
import { DURABLE_SUBJECTS, orderingScopeOf } from '@parley/routing';
import { instrumentStores, openStores } from '@parley/store';
import type { Stores } from '@parley/store';
import {
  createLogger,
  createMetrics,
  installTracing,
  onShutdownSignal,
  startHttpEndpoint,
} from '@parley/telemetry';
import type { HttpEndpoint, HttpEndpointOptions, Logger, Metrics } from '@parley/telemetry';
import type { Redis } from 'ioredis';
import { connectRedis, linkError, redisLinkReady } from '@parley/cluster';
import { busObserver, storeObserver } from './process-metrics.js';
import { storeOptionsFor } from './stores.js';

/** A node id usable in subjects, consumer names and Redis keys. */
export function processId(nodeId: string): string {
  return nodeId.replace(/[^A-Za-z0-9_-]/g, '_') || 'node';
}

/** What every cluster process shares: identity, telemetry, NATS, Redis, stores. */
export interface ClusterProcess {
  readonly id: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly bus: NatsBus;
  readonly redis: Redis;
  readonly stores: Stores;
  /** Set on SIGTERM: /readyz then reports not ready. */
  draining: boolean;
  /**
   * Serves /metrics, /healthz and /readyz (ready = not draining, NATS
   * connected, Redis reachable), with `details` added to the readiness body;
   * /metrics behind ops.requireToken and on the ops listener when ops.port is set.
   */
  serveHttp(
    details?: () => Record<string, unknown>,
    /** More routes of the listener serving /metrics (the admin API's reference). */
    extra?: HttpEndpointOptions['extra'],
  ): Promise<HttpEndpoint>;
  /** Closes NATS, the HTTP endpoint, Redis and the stores. */
  close(): Promise<void>;
  /**
   * An orderly stop: not ready any more (`draining`), then `closeService`
   * (what the service itself holds, while its links are still up), then
   * `close()`.
   */
  shutdown(closeService: () => Promise<void>): Promise<void>;
  /** On SIGTERM or SIGINT: `shutdown(closeService)`, then exit (see `onShutdownSignal`). */
  shutdownOnSignal(closeService: () => Promise<void>): void;
}

export async function startClusterProcess(
  service: string,
  config: Config,
): Promise<ClusterProcess> {
  const id = processId(config.server.nodeId);
  const logger = createLogger({ service, level: config.log.level, nodeId: id });
  const metrics = createMetrics({ defaultLabels: { service, node: id } });
  // Secrets and certificates are read first: a missing file stops the start naming its key.
  const natsAuth = natsConnectionSecurity(config);
  const redisSecurity = redisConnectionSecurity(config);
  const storeOptions = storeOptionsFor(config);
  const tracing = config.tracing.enabled
    ? installTracing({
        serviceName: service,
        instanceId: id,
        sampleRatio: config.tracing.samplePercent / 100,
        ...(config.tracing.otlpEndpoint !== undefined
          ? { otlpEndpoint: config.tracing.otlpEndpoint }
          : {}),
      })
    : undefined;
  const bus = await connectNatsBus({
    servers: config.bus.natsUrl,
    auth: natsAuth,
    name: `${service}-${id}`,
    logger,
    durableTransport: config.bus.durable,
    stream: { subjects: DURABLE_SUBJECTS },
    // A partition's messages are read in order by one consumer: they may share JetStream messages.
    durableBatchKey: orderingScopeOf,
    observer: busObserver(metrics),
  }).catch((err: unknown) => {
    throw linkError('nats', config.bus.natsUrl, err);
  });
  const redis = connectRedis(config.redis.url, `${service}-${id}`, redisSecurity);
  try {
    await redisLinkReady(redis, config.redis.url, (m, f) => logger.warn(m, f));
  } catch (err) {
    redis.disconnect();
    await bus.close();
    throw err;
  }
  const stores = instrumentStores(
    await openStores(storeOptions),
    storeObserver(metrics, config.store.kind),
  );
  let http: HttpEndpoint | undefined;
  const proc: ClusterProcess = {
    id,
    logger,
    metrics,
    bus,
    redis,
    stores,
    draining: false,
    async serveHttp(details, extra) {
      http = await startHttpEndpoint({
        port: config.http.port,
        host: config.http.host,
        ...opsEndpointOptions(config),
        ...(extra !== undefined ? { extra } : {}),
        metrics,
        health: async () => ({ ok: true }),
        ready: async () => {
          const status = bus.status();
          return {
            ok: !proc.draining && status.connected && redis.status === 'ready',
            details: { bus: status, redis: redis.status, draining: proc.draining, ...details?.() },
          };
        },
      });
      return http;
    },
    async close() {
      await bus.close();
      await http?.close();
      redis.disconnect();
      await stores.close();
      await tracing?.shutdown();
    },
    async shutdown(closeService) {
      proc.draining = true;
      await closeService();
      await proc.close();
    },
    shutdownOnSignal(closeService) {
      onShutdownSignal(logger, () => proc.shutdown(closeService));
    },
  };
  return proc;
}
