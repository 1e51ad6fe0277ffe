import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migratePostgres } from '@parley/store';
import {
  freePort,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
  startServerProcess,
} from '@parley/testkit';
import type { NatsServer, PostgresServer, RedisServer, ServerProcess } from '@parley/testkit';

export type ProcessKind = 'gateway' | 'session-registry' | 'muc' | 'admin-api' | 's2s';

export interface LocalClusterOptions {
  gateways?: number;
  registries?: number;
  /** MUC workers (XEP-0045 service, services/muc); default 1. */
  mucs?: number;
  /** Admin API processes (services/admin-api); default 0. */
  adminApis?: number;
  /** S2S workers (federation and components, services/s2s); default 0. Each listens on its own s2s port. */
  s2ss?: number;
  /** Use these instead of starting nats-server / redis-server. */
  natsUrl?: string;
  redisUrl?: string;
  /**
   * Durable store shared by every process: `lmdb` (default) in `dataDir`, or
   * `postgres` on `postgresUrl` (else a throw-away PostgreSQL started here),
   * migrated before the processes start.
   */
  store?: 'lmdb' | 'postgres';
  postgresUrl?: string;
  dataDir?: string;
  domains?: string[];
  /** First client port; gateway i listens on basePort + 10*i (c2s) and +1 (direct TLS). 0 = free ports. */
  basePort?: number;
  /** Run the services from TypeScript sources (tests) instead of the built dist/. */
  fromSource?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra PARLEY_* environment for every process. */
  env?: Record<string, string>;
  /** Extra environment for one process (e.g. its own NATS credentials), over `env`. */
  envFor?: (kind: ProcessKind, name: string) => Record<string, string>;
  partitions?: number;
  /** Append each process's output to <logDir>/<name>.log (e.g. registry-1.log). */
  logDir?: string;
  /** Node flags for every service process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

export interface ClusterProcess {
  name: string;
  kind: ProcessKind;
  c2sPort?: number;
  /** Port of the admin REST API (admin-api processes). */
  adminPort?: number;
  /** Server-to-server port (s2s processes). */
  s2sPort?: number;
  /** XEP-0114 component port (s2s processes, when components are configured). */
  componentPort?: number;
  httpPort: number;
  proc: ServerProcess;
}

export interface LocalCluster {
  natsUrl: string;
  redisUrl: string;
  /** Set when the store is PostgreSQL. */
  postgresUrl?: string;
  nats?: NatsServer;
  redis?: RedisServer;
  postgres?: PostgresServer;
  gateways: ClusterProcess[];
  registries: ClusterProcess[];
  mucs: ClusterProcess[];
  adminApis: ClusterProcess[];
  s2ss: ClusterProcess[];
  /** Starts (or restarts) one more process of a kind; used by drills. */
  spawn(kind: ProcessKind, name: string): Promise<ClusterProcess>;
  stop(): Promise<void>;
}

/** The services/ directory, whether this file runs from src/ or from dist/src/. */
const servicesDir = (() => {
  const self = fileURLToPath(import.meta.url);
  return self.slice(0, self.lastIndexOf('/server/'));
})();

function entry(kind: ProcessKind, fromSource: boolean): string[] {
  if (fromSource)
    return ['--conditions=source', '--import', 'tsx', `${servicesDir}/${kind}/src/main.ts`];
  return [`${servicesDir}/${kind}/dist/src/main.js`];
}

/**
 * A local cluster on one machine: N gateways, M session-registry workers
 * and K MUC workers as separate processes over a nats-server and a redis-server (started here
 * unless URLs are given), sharing an LMDB data directory or a PostgreSQL database.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const nats = opts.natsUrl ? undefined : await startNatsServer({ jetstream: true });
  const redis = opts.redisUrl ? undefined : await startRedisServer();
  const usePostgres = opts.store === 'postgres';
  const postgres = usePostgres && !opts.postgresUrl ? await startPostgresServer() : undefined;
  const postgresUrl = usePostgres ? (opts.postgresUrl ?? postgres!.url) : undefined;
  if (postgresUrl !== undefined) await migratePostgres({ url: postgresUrl });
  const natsUrl = opts.natsUrl ?? nats!.url;
  const redisUrl = opts.redisUrl ?? redis!.url;
  const dataDir = resolve(opts.dataDir ?? './data-cluster');
  mkdirSync(dataDir, { recursive: true });
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: natsUrl,
    REDIS_URL: redisUrl,
    PARLEY_BUS_KIND: 'nats',
    PARLEY_SERVER_DATA_DIR: dataDir,
    // Every gateway shows an unknown user the same SCRAM salt; a cluster gateway needs it.
    PARLEY_SASL_FAKE_SALT_SECRET: randomBytes(32).toString('base64url'),
    PARLEY_SERVER_DOMAINS: (opts.domains ?? ['localhost']).join(','),
    PARLEY_LOG_LEVEL: opts.logLevel ?? 'info',
    // Every listener is on 127.0.0.1: /metrics and the API reference need no token here.
    PARLEY_OPS_REQUIRE_TOKEN: 'false',
    ...(opts.partitions ? { PARLEY_ROUTING_PARTITIONS: String(opts.partitions) } : {}),
    ...(postgresUrl !== undefined
      ? { PARLEY_STORE_KIND: 'postgres', PARLEY_STORE_POSTGRES_URL: postgresUrl }
      : {}),
    ...opts.env,
  };
  const cluster: LocalCluster = {
    natsUrl,
    redisUrl,
    ...(postgresUrl !== undefined ? { postgresUrl } : {}),
    ...(nats ? { nats } : {}),
    ...(redis ? { redis } : {}),
    ...(postgres ? { postgres } : {}),
    gateways: [],
    registries: [],
    mucs: [],
    adminApis: [],
    s2ss: [],
    async spawn(kind, name) {
      const lists: Record<ProcessKind, ClusterProcess[]> = {
        gateway: cluster.gateways,
        muc: cluster.mucs,
        'admin-api': cluster.adminApis,
        s2s: cluster.s2ss,
        'session-registry': cluster.registries,
      };
      const list = lists[kind];
      const index = list.length;
      const basePort = opts.basePort ?? 0;
      const c2sPort =
        kind === 'gateway' ? (basePort ? basePort + 10 * index : await freePort()) : undefined;
      const tlsPort =
        kind === 'gateway' ? (basePort ? basePort + 10 * index + 1 : await freePort()) : undefined;
      const httpPort = basePort
        ? basePort +
          58 +
          (kind === 'gateway'
            ? index
            : kind === 'muc'
              ? 20 + index
              : kind === 'admin-api'
                ? 30 + index
                : kind === 's2s'
                  ? 40 + index
                  : 10 + index)
        : await freePort();
      const s2sPort = kind === 's2s' ? await freePort() : undefined;
      const componentPort =
        kind === 's2s' && base['PARLEY_COMPONENTS_LIST'] !== undefined
          ? await freePort()
          : undefined;
      const adminPort =
        kind === 'admin-api' ? (basePort ? basePort + 63 + index : await freePort()) : undefined;
      const env: NodeJS.ProcessEnv = {
        ...base,
        ...opts.envFor?.(kind, name),
        NODE_ID: name,
        PARLEY_HTTP_PORT: String(httpPort),
        PARLEY_HTTP_HOST: '127.0.0.1',
        ...(c2sPort
          ? { PARLEY_C2S_PORT: String(c2sPort), PARLEY_C2S_DIRECT_TLS_PORT: String(tlsPort) }
          : {}),
        ...(adminPort
          ? { PARLEY_ADMIN_PORT: String(adminPort), PARLEY_ADMIN_HOST: '127.0.0.1' }
          : {}),
        ...(s2sPort ? { PARLEY_S2S_PORT: String(s2sPort), PARLEY_S2S_HOST: '127.0.0.1' } : {}),
        ...(componentPort
          ? { PARLEY_COMPONENTS_PORT: String(componentPort), PARLEY_COMPONENTS_HOST: '127.0.0.1' }
          : {}),
      };
      const proc = await startServerProcess({
        binary: process.execPath,
        args: [...(opts.nodeArgs ?? []), ...entry(kind, opts.fromSource ?? false)],
        port: c2sPort ?? adminPort ?? httpPort,
        env,
        startTimeoutMs: 60_000,
        stopTimeoutMs: 15_000,
        ...(opts.logDir !== undefined ? { logFile: join(opts.logDir, `${name}.log`) } : {}),
      });
      const p: ClusterProcess = {
        name,
        kind,
        httpPort,
        proc,
        ...(c2sPort ? { c2sPort } : {}),
        ...(adminPort ? { adminPort } : {}),
        ...(s2sPort ? { s2sPort } : {}),
        ...(componentPort ? { componentPort } : {}),
      };
      list.push(p);
      return p;
    },
    async stop() {
      await Promise.all(
        [
          ...cluster.gateways,
          ...cluster.registries,
          ...cluster.mucs,
          ...cluster.adminApis,
          ...cluster.s2ss,
        ].map((p) => p.proc.stop()),
      );
      await nats?.stop();
      await redis?.stop();
      await postgres?.stop();
    },
  };
  try {
    for (let i = 0; i < (opts.registries ?? 2); i++)
      await cluster.spawn('session-registry', `registry-${i + 1}`);
    for (let i = 0; i < (opts.mucs ?? 1); i++) await cluster.spawn('muc', `muc-${i + 1}`);
    for (let i = 0; i < (opts.s2ss ?? 0); i++) await cluster.spawn('s2s', `s2s-${i + 1}`);
    for (let i = 0; i < (opts.gateways ?? 2); i++)
      await cluster.spawn('gateway', `gateway-${i + 1}`);
    for (let i = 0; i < (opts.adminApis ?? 0); i++)
      await cluster.spawn('admin-api', `admin-api-${i + 1}`);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
