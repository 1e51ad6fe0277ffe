/**
 * Starts the single-node server as a child process for a benchmark: fresh
 * temporary data directory, PLAIN allowed without TLS on loopback, no HTTP
 * endpoint, log level warn, users imported with `xmppctl user import`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuCount } from './pin.js';
import { sleep } from './util.js';

/** The repository root, from loadtest/dist/src/ (built) or loadtest/src/ (tsx, vitest). */
export function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return join(here, here.includes('/dist/') ? '../../..' : '../..');
}

export interface SpawnOptions {
  port: number | undefined;
  host: string;
  /** Users to import: pattern (with %d) and count. */
  userPattern: string;
  passwordPattern: string;
  users: number;
  /** Extra node flags for the server, e.g. ['--cpu-prof']. */
  nodeArgs: string[];
  /**
   * CPU list for the server (`taskset -c LIST`, e.g. `0`): every thread of the
   * server (event loop, libuv pool, GC) is confined to these CPUs. Undefined:
   * no pinning.
   */
  cpus?: string;
  /** Extra PARLEY_* variables. */
  env: Record<string, string>;
  log: (line: string) => void;
  /**
   * Runs after the user import and before the server starts, on the fresh
   * data directory (e.g. to pre-fill the LMDB store under `<dataDir>/db`).
   */
  prepare?: (dataDir: string) => Promise<void>;
}

export interface SpawnedServer {
  pid: number;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function benchEnv(
  dataDir: string,
  host: string,
  port: number,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Start from the caller's environment without any PARLEY_* settings of theirs.
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PARLEY_')) env[k] = v;
  }
  return {
    ...env,
    PARLEY_SERVER_DOMAINS: 'localhost',
    PARLEY_SERVER_DATA_DIR: dataDir,
    PARLEY_SERVER_NODE_ID: 'bench',
    PARLEY_C2S_HOST: host,
    PARLEY_C2S_PORT: String(port),
    PARLEY_C2S_DIRECT_TLS_PORT: '0',
    PARLEY_C2S_REQUIRE_TLS: 'false',
    PARLEY_C2S_ALLOW_PLAIN_WITHOUT_TLS: 'true',
    PARLEY_C2S_MAX_UNAUTHENTICATED_PER_ADDRESS: '0',
    PARLEY_C2S_MAX_SESSIONS_PER_ADDRESS: '0',
    PARLEY_HTTP_PORT: '0',
    PARLEY_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function prefixLines(
  stream: NodeJS.ReadableStream | null,
  prefix: string,
  log: (line: string) => void,
): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') log(`${prefix}${l}`);
  });
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Imports `users` accounts (userPattern / passwordPattern, %d = 1..users)
 * with `xmppctl user import` into the data directory of `env`
 * (PARLEY_SERVER_DATA_DIR).
 */
export async function importUsers(
  env: NodeJS.ProcessEnv,
  opts: Pick<SpawnOptions, 'userPattern' | 'passwordPattern' | 'users' | 'log'>,
): Promise<void> {
  const cliJs = join(repoRoot(), 'services/server/dist/src/cli.js');
  opts.log(
    `spawn: importing ${opts.users} users (${opts.userPattern}) into ${env['PARLEY_SERVER_DATA_DIR']}`,
  );
  const t0 = performance.now();
  const importer = spawn(
    process.execPath,
    [
      cliJs,
      'user',
      'import',
      '--pattern',
      opts.userPattern,
      '--count',
      String(opts.users),
      '--password',
      opts.passwordPattern,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prefixLines(importer.stdout, '  xmppctl: ', opts.log);
  prefixLines(importer.stderr, '  xmppctl: ', opts.log);
  const code = await waitExit(importer);
  if (code !== 0) throw new Error(`user import failed (exit code ${code})`);
  opts.log(`spawn: import took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * The node flags of the spawned server. Confined to one CPU, V8's helper
 * threads (concurrent marking and sweeping, parallel scavenges) take turns
 * with the event loop on that CPU and stall it for tens of milliseconds at
 * every major GC; with `--single-threaded-gc` that work runs in small steps
 * on the event loop instead, which measured p99 3-10x lower on one core
 * (docs/performance.md). Added unless the caller chose either way.
 */
export function serverNodeArgs(opts: Pick<SpawnOptions, 'nodeArgs' | 'cpus'>): string[] {
  const args = [...opts.nodeArgs];
  const chosen = args.some((a) => /^--(no-)?single[-_]threaded[-_]gc$/.test(a));
  if (!chosen && opts.cpus !== undefined && cpuCount(opts.cpus) === 1)
    args.unshift('--single-threaded-gc');
  return args;
}

export async function spawnServer(opts: SpawnOptions): Promise<SpawnedServer> {
  const root = repoRoot();
  const mainJs = join(root, 'services/server/dist/src/main.js');
  const port = opts.port ?? (await freePort(opts.host));
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-'));
  const env = benchEnv(dataDir, opts.host, port, opts.env);

  try {
    if (opts.users > 0) await importUsers(env, opts);
    await opts.prepare?.(dataDir);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const nodeArgv = [...serverNodeArgs(opts), mainJs];
  // taskset execs node in place, so the child's PID is the server's.
  const child =
    opts.cpus !== undefined
      ? spawn('taskset', ['-c', opts.cpus, process.execPath, ...nodeArgv], {
          env,
          cwd: dataDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, nodeArgv, {
          env,
          cwd: dataDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the server');
  prefixLines(child.stdout, '  server: ', (l) => {
    if (!/Parley is listening|Create a user|Then connect|certificate is self-signed/.test(l))
      opts.log(l);
  });
  prefixLines(child.stderr, '  server: ', opts.log);
  let exited = false;
  child.once('exit', () => (exited = true));

  const stop = async (): Promise<void> => {
    if (!exited) {
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 20_000);
      await waitExit(child);
      clearTimeout(t);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = performance.now() + 60_000;
  for (;;) {
    if (exited) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(
        `the server exited during startup (code ${child.exitCode ?? child.signalCode})`,
      );
    }
    if (await canConnect(opts.host, port)) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`the server did not listen on ${opts.host}:${port} within 60 s`);
    }
    await sleep(100);
  }
  opts.log(
    `spawn: server pid ${pid} listening on ${opts.host}:${port}` +
      (opts.cpus !== undefined ? ` (pinned to CPUs ${opts.cpus})` : ''),
  );
  return { pid, port, dataDir, stop };
}
