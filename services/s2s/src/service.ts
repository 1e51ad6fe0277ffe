/**
 * The S2S service as one unit, the same in the all-in-one server and in the
 * `parley-s2s` cluster process: the protocol engine (listeners on s2s.port
 * and s2s.directTlsPort, outbound streams), the external components
 * (XEP-0114, components.port) and the worker that owns S2S partitions and
 * hands their stanzas to the engine or the components.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bus } from '@parley/bus';
import type { PartitionOwnership } from '@parley/cluster';
import { ConfigError } from '@parley/config';
import type { Config } from '@parley/config';
import { inboundRoutes } from '@parley/routing';
import type { Logger, Metrics } from '@parley/telemetry';
import { startComponents } from './component/index.js';
import type { Components } from './component/index.js';
import { S2sEngine } from './engine/index.js';
import type { PendingStore } from './worker/pending-store.js';
import { startS2sWorker } from './worker/s2s-worker.js';
import type { S2sWorker } from './worker/s2s-worker.js';

export interface S2sServiceOptions {
  config: Config;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  /** The server's certificate and key (PEM), also presented as client certificate. */
  tls: { cert: string; key: string };
  /** Default: every partition (single node). */
  ownership?: PartitionOwnership;
  /** Default: in memory (single node). */
  pending?: PendingStore;
  /** A cluster needs one dialback secret on every node: refuse to start without one. */
  requireDialbackSecret?: boolean;
}

export interface S2sService {
  /** Bound ports (undefined when that listener is off). */
  readonly port: number | undefined;
  readonly directTlsPort: number | undefined;
  readonly componentPort: number | undefined;
  readonly worker: S2sWorker;
  readonly engine: S2sEngine;
  readonly components: Components | undefined;
  close(): Promise<void>;
}

/** The service runs when federation is on or components are configured. */
export function s2sServiceWanted(config: Config): boolean {
  return config.s2s.enabled || config.components.port !== 0 || config.components.list.length > 0;
}

function readConfigFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('bad-file', `${key}: cannot read ${path}: ${(cause as Error).message}`, {
      key,
      cause,
    });
  }
}

/** The XEP-0185 secret: configured (inline or file), else random per process. */
function dialbackSecret(config: Config, required: boolean, logger: Logger): string {
  const { dialbackSecret: inline, dialbackSecretFile: file } = config.s2s;
  if (inline !== undefined && file !== undefined)
    throw new ConfigError(
      'invalid-value',
      's2s.dialbackSecret and s2s.dialbackSecretFile: set only one of them',
      { key: 's2s.dialbackSecret' },
    );
  const secret =
    inline ??
    (file === undefined ? undefined : readConfigFile('s2s.dialbackSecretFile', file).trim());
  if (secret !== undefined && secret !== '') return secret;
  if (required && config.s2s.enabled)
    throw new ConfigError(
      'invalid-value',
      's2s.dialbackSecretFile: every S2S node of a cluster needs the same dialback secret (XEP-0185); set s2s.dialbackSecret or s2s.dialbackSecretFile',
      { key: 's2s.dialbackSecretFile' },
    );
  if (config.s2s.enabled)
    logger.info('s2s: no dialback secret configured; using a random one (single node only)');
  return randomBytes(32).toString('base64url');
}

export async function startS2sService(opts: S2sServiceOptions): Promise<S2sService> {
  const { config, logger, metrics } = opts;
  const routes = inboundRoutes(config);
  const isLocalDomain = (domain: string): boolean =>
    routes.hosted.has(domain) || routes.mucDomains.has(domain) || routes.components.has(domain);
  const trustStore =
    config.s2s.trustStoreFile === undefined
      ? undefined
      : readConfigFile('s2s.trustStoreFile', config.s2s.trustStoreFile);
  let worker: S2sWorker | undefined;
  const engine = new S2sEngine({
    config: config.s2s,
    isLocalDomain,
    tls: opts.tls,
    ...(trustStore !== undefined && { trustStore }),
    dialbackSecret: dialbackSecret(config, opts.requireDialbackSecret === true, logger),
    logger: logger.child({ component: 's2s-engine' }),
    metrics,
    onStanza: (el) => worker?.inbound(el),
  });
  let ports: { port: number; directTlsPort?: number } | undefined;
  let components: Components | undefined;
  try {
    if (config.s2s.enabled) ports = await engine.listen();
    if (config.components.port !== 0 || config.components.list.length > 0)
      components = await startComponents({
        bus: opts.bus,
        config,
        logger: logger.child({ component: 'components' }),
        metrics,
      });
    worker = startS2sWorker({
      bus: opts.bus,
      config,
      logger,
      metrics,
      remote: engine,
      ...(components !== undefined && { components }),
      ...(opts.ownership !== undefined && { ownership: opts.ownership }),
      ...(opts.pending !== undefined && { pending: opts.pending }),
    });
    await worker.ready;
  } catch (err) {
    await worker?.close();
    await components?.stop();
    await engine.close();
    throw err;
  }
  const running = worker;
  logger.info('s2s service started', {
    federation: config.s2s.enabled,
    port: ports?.port,
    directTlsPort: ports?.directTlsPort,
    components: config.components.list.map((c) => c.domain),
    componentPort: components?.port,
  });
  return {
    port: ports?.port,
    directTlsPort: ports?.directTlsPort,
    componentPort: components?.port,
    worker: running,
    engine,
    components,
    close: async () => {
      await running.close();
      await components?.stop();
      await engine.close();
    },
  };
}
