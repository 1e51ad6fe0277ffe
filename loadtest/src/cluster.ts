/**
 * Starts the local cluster for a benchmark: N gateways and M session-registry
 * workers as separate processes over a nats-server (JetStream) and a
 * redis-server, with `startLocalCluster` from services/server (built
 * dist/src/local-cluster.js; it is not exported by @parley/server, so it is
 * loaded by path). Users are imported into the shared LMDB data directory
 * before the processes start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerProcessRef } from './bench-idle.js';
import { benchEnv, importUsers, repoRoot } from './spawn.js';

/** The part of services/server's LocalCluster this module uses. */
interface LocalClusterHandle {
  natsUrl: string;
  redisUrl: string;
  nats?: { pid: number };
  redis?: { pid: number };
  gateways: { name: string; c2sPort?: number; proc: { pid: number } }[];
  registries: { name: string; proc: { pid: number } }[];
  /** MUC workers (absent in builds of services/server without them). */
  mucs?: { name: string; proc: { pid: number } }[];
  stop(): Promise<void>;
}

type StartLocalCluster = (opts: {
  gateways?: number;
  registries?: number;
  mucs?: number;
  dataDir?: string;
  domains?: string[];
  basePort?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  env?: Record<string, string>;
}) => Promise<LocalClusterHandle>;

export interface ClusterSpawnOptions {
  gateways: number;
  registries: number;
  /** MUC workers (services/muc); undefined: the local cluster's default (1). */
  mucs?: number;
  /** Users to import: pattern (with %d) and count. */
  userPattern: string;
  passwordPattern: string;
  users: number;
  /** Extra PARLEY_* variables for every process. */
  env: Record<string, string>;
  log: (line: string) => void;
  /** Runs after the user import and before any cluster process starts (see SpawnOptions.prepare). */
  prepare?: (dataDir: string) => Promise<void>;
  /** Node flags for every cluster process (`--server-node-args`). */
  nodeArgs?: string[];
}

export interface SpawnedCluster {
  /** c2s port of each gateway, in order. */
  ports: number[];
  /** Every process of the cluster, nats-server and redis-server included. */
  processes: ServerProcessRef[];
  natsUrl: string;
  redisUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function spawnCluster(opts: ClusterSpawnOptions): Promise<SpawnedCluster> {
  const root = repoRoot();
  const modPath = join(root, 'services/server/dist/src/local-cluster.js');
  const mod = (await import(pathToFileURL(modPath).href)) as {
    startLocalCluster: StartLocalCluster;
  };
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-cluster-'));
  const extra: Record<string, string> = {
    PARLEY_C2S_HOST: '127.0.0.1',
    PARLEY_C2S_REQUIRE_TLS: 'false',
    PARLEY_C2S_ALLOW_PLAIN_WITHOUT_TLS: 'true',
    PARLEY_C2S_MAX_UNAUTHENTICATED_PER_ADDRESS: '0',
    PARLEY_C2S_MAX_SESSIONS_PER_ADDRESS: '0',
    ...opts.env,
  };
  try {
    if (opts.users > 0) await importUsers(benchEnv(dataDir, '127.0.0.1', 0, extra), opts);
    await opts.prepare?.(dataDir);
    // startLocalCluster starts every process from this process's environment:
    // drop the caller's own PARLEY_* settings so that they do not leak in.
    for (const k of Object.keys(process.env)) {
      if (k.startsWith('PARLEY_') || k === 'NATS_URL' || k === 'REDIS_URL') delete process.env[k];
    }
    opts.log(
      `cluster: starting nats-server, redis-server, ${opts.registries} session-registry workers, ${opts.mucs ?? 'the default number of'} MUC workers and ${opts.gateways} gateways`,
    );
    const t0 = performance.now();
    const cluster = await mod.startLocalCluster({
      gateways: opts.gateways,
      registries: opts.registries,
      ...(opts.mucs !== undefined ? { mucs: opts.mucs } : {}),
      dataDir,
      domains: ['localhost'],
      logLevel: 'warn',
      env: extra,
      ...(opts.nodeArgs !== undefined && opts.nodeArgs.length > 0
        ? { nodeArgs: opts.nodeArgs }
        : {}),
      // Keep each process's log for a post-mortem of a run.
      ...(process.env.BENCH_LOG_DIR ? { logDir: process.env.BENCH_LOG_DIR } : {}),
    });
    const processes: ServerProcessRef[] = [
      ...cluster.gateways.map((g) => ({ name: g.name, pid: g.proc.pid })),
      ...cluster.registries.map((r) => ({ name: r.name, pid: r.proc.pid })),
      ...(cluster.mucs ?? []).map((m) => ({ name: m.name, pid: m.proc.pid })),
      ...(cluster.nats ? [{ name: 'nats-server', pid: cluster.nats.pid }] : []),
      ...(cluster.redis ? [{ name: 'redis-server', pid: cluster.redis.pid }] : []),
    ];
    const ports = cluster.gateways.map((g) => g.c2sPort!);
    opts.log(
      `cluster: up in ${((performance.now() - t0) / 1000).toFixed(1)} s; gateways on ${ports
        .map((p) => `127.0.0.1:${p}`)
        .join(', ')}; ${processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`,
    );
    let stopped = false;
    return {
      ports,
      processes,
      natsUrl: cluster.natsUrl,
      redisUrl: cluster.redisUrl,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await cluster.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
