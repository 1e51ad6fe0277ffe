/**
 * The server a scenario runs against: the single node (`--spawn`, with
 * spawn.ts), the local cluster (`--cluster`: startLocalCluster of
 * services/server over a nats-server started here with its monitoring
 * endpoint, so that connections and subscriptions can be read), or one
 * already running (`--ports`, `--server-pid`). Also the server-side readings
 * of a snapshot: RSS per process, Redis INFO memory and key count, NATS
 * connections and subscriptions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, startNatsServer } from '@parley/testkit';
import { benchEnv, importUsers, repoRoot, spawnServer } from '../spawn.js';
import { readRssKiB } from '../util.js';

export interface ServerProc {
  name: string;
  pid: number;
  /** c2s port (gateways, single node). */
  port?: number;
}

export interface Target {
  kind: 'spawn' | 'cluster' | 'external';
  host: string;
  ports: number[];
  processes: ServerProc[];
  redisUrl?: string;
  natsMonitorUrl?: string;
  stop(): Promise<void>;
}

export interface TargetOptions {
  users: number;
  userPattern: string;
  passwordPattern: string;
  env: Record<string, string>;
  log: (l: string) => void;
  prepare?: (dataDir: string) => Promise<void>;
  nodeArgs: string[];
}

export async function spawnSingle(opts: TargetOptions): Promise<Target> {
  const s = await spawnServer({
    port: undefined,
    host: '127.0.0.1',
    userPattern: opts.userPattern,
    passwordPattern: opts.passwordPattern,
    users: opts.users,
    nodeArgs: opts.nodeArgs,
    env: opts.env,
    log: opts.log,
    ...(opts.prepare ? { prepare: opts.prepare } : {}),
  });
  return {
    kind: 'spawn',
    host: '127.0.0.1',
    ports: [s.port],
    processes: [{ name: 'server', pid: s.pid, port: s.port }],
    stop: () => s.stop(),
  };
}

interface LocalClusterHandle {
  redisUrl: string;
  redis?: { pid: number };
  gateways: { name: string; c2sPort?: number; proc: { pid: number } }[];
  registries: { name: string; proc: { pid: number } }[];
  mucs: { name: string; proc: { pid: number } }[];
  stop(): Promise<void>;
}

export interface ClusterTargetOptions extends TargetOptions {
  gateways: number;
  registries: number;
  mucs: number;
}

export async function spawnLocalCluster(opts: ClusterTargetOptions): Promise<Target> {
  const mod = (await import(
    pathToFileURL(join(repoRoot(), 'services/server/dist/src/local-cluster.js')).href
  )) as { startLocalCluster: (o: Record<string, unknown>) => Promise<LocalClusterHandle> };
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-scenario-cluster-'));
  const env: Record<string, string> = {
    PARLEY_C2S_HOST: '127.0.0.1',
    PARLEY_C2S_REQUIRE_TLS: 'false',
    PARLEY_C2S_ALLOW_PLAIN_WITHOUT_TLS: 'true',
    PARLEY_C2S_MAX_UNAUTHENTICATED_PER_ADDRESS: '0',
    PARLEY_C2S_MAX_SESSIONS_PER_ADDRESS: '0',
    ...opts.env,
  };
  const monitorPort = await freePort();
  let nats: Awaited<ReturnType<typeof startNatsServer>> | undefined;
  let cluster: LocalClusterHandle | undefined;
  try {
    if (opts.users > 0) await importUsers(benchEnv(dataDir, '127.0.0.1', 0, env), opts);
    await opts.prepare?.(dataDir);
    for (const k of Object.keys(process.env)) {
      if (k.startsWith('PARLEY_') || k === 'NATS_URL' || k === 'REDIS_URL') delete process.env[k];
    }
    nats = await startNatsServer({
      jetstream: true,
      args: ['-m', String(monitorPort)],
    });
    opts.log(
      `cluster: nats-server pid ${nats.pid} (monitoring 127.0.0.1:${monitorPort}); starting ${opts.registries} registries, ${opts.mucs} MUC workers, ${opts.gateways} gateways`,
    );
    cluster = await mod.startLocalCluster({
      gateways: opts.gateways,
      registries: opts.registries,
      mucs: opts.mucs,
      natsUrl: nats.url,
      dataDir,
      domains: ['localhost'],
      logLevel: 'warn',
      env,
      ...(opts.nodeArgs.length > 0 ? { nodeArgs: opts.nodeArgs } : {}),
      ...(process.env['BENCH_LOG_DIR'] ? { logDir: process.env['BENCH_LOG_DIR'] } : {}),
    });
  } catch (err) {
    await nats?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const c = cluster;
  const n = nats;
  const processes: ServerProc[] = [
    ...c.gateways.map((g) => ({
      name: g.name,
      pid: g.proc.pid,
      ...(g.c2sPort !== undefined ? { port: g.c2sPort } : {}),
    })),
    ...c.registries.map((r) => ({ name: r.name, pid: r.proc.pid })),
    ...c.mucs.map((m) => ({ name: m.name, pid: m.proc.pid })),
    { name: 'nats-server', pid: n.pid },
    ...(c.redis ? [{ name: 'redis-server', pid: c.redis.pid }] : []),
  ];
  opts.log(`cluster: ${processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
  return {
    kind: 'cluster',
    host: '127.0.0.1',
    ports: c.gateways.map((g) => g.c2sPort!),
    processes,
    redisUrl: c.redisUrl,
    natsMonitorUrl: `http://127.0.0.1:${monitorPort}`,
    async stop() {
      await c.stop();
      await n.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One inline Redis command over a fresh connection (INFO, DBSIZE); undefined on failure. */
export function redisCommand(
  url: string,
  command: string,
  timeoutMs = 3000,
): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 6379) });
    let buf = '';
    const done = (v: string | undefined) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), timeoutMs);
    s.on('error', () => done(undefined));
    s.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      s.write(`${auth}${command}\r\n`);
    });
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      if (u.password && buf.startsWith('+OK\r\n')) buf = buf.slice(5);
      if (buf.startsWith(':')) {
        const end = buf.indexOf('\r\n');
        if (end > 0) done(buf.slice(1, end));
      } else if (buf.startsWith('$')) {
        const end = buf.indexOf('\r\n');
        const len = Number(buf.slice(1, end));
        if (Buffer.byteLength(buf.slice(end + 2)) >= len) done(buf.slice(end + 2, end + 2 + len));
      } else if (buf.startsWith('-')) done(undefined);
    });
  });
}

export interface ServerSnapshot {
  at: number;
  rssKiB: Record<string, number | null>;
  redis?: { usedMemory: number | null; usedMemoryRss: number | null; keys: number | null };
  nats?: { connections: number | null; subscriptions: number | null };
}

async function fetchJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await r.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function snapshot(target: Target): Promise<ServerSnapshot> {
  const out: ServerSnapshot = {
    at: Date.now(),
    rssKiB: Object.fromEntries(target.processes.map((p) => [p.name, readRssKiB(p.pid) ?? null])),
  };
  if (target.redisUrl) {
    const info = await redisCommand(target.redisUrl, 'INFO memory');
    const field = (f: string) => {
      const m = info === undefined ? null : new RegExp(`^${f}:(\\d+)`, 'm').exec(info);
      return m ? Number(m[1]) : null;
    };
    const keys = await redisCommand(target.redisUrl, 'DBSIZE');
    out.redis = {
      usedMemory: field('used_memory'),
      usedMemoryRss: field('used_memory_rss'),
      keys: keys === undefined ? null : Number(keys),
    };
  }
  if (target.natsMonitorUrl) {
    const varz = await fetchJson(`${target.natsMonitorUrl}/varz`);
    const subsz = await fetchJson(`${target.natsMonitorUrl}/subsz`);
    out.nats = {
      connections: typeof varz?.['connections'] === 'number' ? varz['connections'] : null,
      subscriptions:
        typeof subsz?.['num_subscriptions'] === 'number' ? subsz['num_subscriptions'] : null,
    };
  }
  return out;
}
