import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { killOnExit } from './process-cleanup.js';
import { removeTempDir } from './temp-dir.js';
import { waitForPort } from './wait-for-port.js';

const OUTPUT_LIMIT = 16 * 1024;

export interface StartServerProcessOptions {
  /** Executable name (searched like {@link findBinary}) or path. */
  binary: string;
  args: readonly string[];
  /** The TCP port the process will listen on; startup waits for it. */
  port: number;
  host?: string;
  /** Default 10000 ms. */
  startTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL in stop() (default 5000 ms). */
  stopTimeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also append everything the process writes (stdout and stderr) to this file. */
  logFile?: string;
  /** Run as this user and group (for servers that refuse to run as root). */
  uid?: number;
  gid?: number;
  /** Signal stop() sends first (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
}

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** The last 16 KiB of stdout and stderr, interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Spawns a server process and resolves once its port accepts TCP connections.
 * The process is killed on failure, by stop(), or when this process exits.
 */
export async function startServerProcess(opts: StartServerProcessOptions): Promise<ServerProcess> {
  const path = findBinary(opts.binary);
  if (path === undefined) {
    throw new TestkitError(
      'binary-not-found',
      `${opts.binary} not found on PATH or in sbin directories`,
    );
  }
  const host = opts.host ?? '127.0.0.1';
  const child = spawn(path, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid === undefined ? {} : { uid: opts.uid }),
    ...(opts.gid === undefined ? {} : { gid: opts.gid }),
  });
  const release = killOnExit(child);

  let output = '';
  const log =
    opts.logFile !== undefined ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  log?.on('error', () => {}); // a log file that cannot be written must not stop the process
  const collect = (stream: Readable | null): void => {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      output = (output + chunk).slice(-OUTPUT_LIMIT);
      log?.write(chunk);
    });
    // Do not let the pipes keep the test process alive; the exit hook kills the child.
    (stream as (Readable & { unref?: () => void }) | null)?.unref?.();
  };
  collect(child.stdout);
  collect(child.stderr);
  child.unref();

  let spawnError: Error | undefined;
  let exitStatus: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      release();
      child.once('close', () => log?.end());
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exitStatus ??= `could not be spawned (${err.message})`;
      release();
      resolve();
    });
  });

  // 'close' comes after 'exit' once stdout/stderr are drained: wait for it before quoting output.
  const closedPromise = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const drained = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closedPromise, new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
  };

  const describeFailure = (reason: string): string => {
    const tail = output.trim();
    return `${opts.binary} (${path} ${opts.args.join(' ')}) ${reason}; output:\n${tail === '' ? '(none)' : tail}`;
  };

  const stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitStatus !== undefined) return;
      child.kill(opts.stopSignal ?? 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exitedPromise.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    })();
    return stopping;
  };

  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const ready = await waitForPort(opts.port, {
    host,
    timeoutMs: startTimeoutMs,
    abortReason: () =>
      exitStatus === undefined ? undefined : `${exitStatus} before accepting connections`,
  });
  if (!ready.ok) {
    const exitedEarly = exitStatus !== undefined;
    await stop();
    await drained();
    throw new TestkitError(
      exitedEarly ? 'start-failed' : 'start-timeout',
      describeFailure(
        exitedEarly
          ? ready.reason
          : `did not accept connections on ${host}:${opts.port} within ${startTimeoutMs} ms`,
      ),
      spawnError === undefined ? undefined : { cause: spawnError },
    );
  }

  return {
    pid: child.pid ?? -1,
    port: opts.port,
    child,
    get exited() {
      return exitStatus !== undefined;
    },
    output: () => output,
    stop,
  };
}

const PORT_IN_USE = /address already in use|EADDRINUSE/i;

/**
 * Runs `start` with a free port, retrying with a new port when the server
 * lost a race for it to another process.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      const lostRace =
        err instanceof TestkitError && err.code === 'start-failed' && PORT_IN_USE.test(err.message);
      if (!lostRace || attempt >= attempts) throw err;
    }
  }
}

/** A server kept on one port across launches: stopped for good, or killed and started again. */
export interface RelaunchableServer {
  readonly port: number;
  /** Pid of the current process; changes with each launch. */
  readonly pid: number;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server, then starts a fresh one on the same port. */
  restart(): Promise<void>;
  /** Stops the server but keeps its directory, to `start()` it again later (drills). */
  kill(): Promise<void>;
  /** Starts it again after `kill()`; nothing while it runs. */
  start(): Promise<void>;
}

/**
 * Launches a server with `launch` on a free port (`onFreePort`) and keeps
 * that port for every later launch; `dir` is its working directory,
 * removed by `stop()`.
 */
export async function startRelaunchable(
  launch: (port: number) => Promise<ServerProcess>,
  dir: string,
): Promise<RelaunchableServer> {
  let server = await onFreePort(launch);
  const port = server.port;
  return {
    port,
    get pid() {
      return server.pid;
    },
    async stop() {
      await server.stop();
      await removeTempDir(dir);
    },
    async restart() {
      await server.stop();
      server = await launch(port);
    },
    async kill() {
      await server.stop();
    },
    async start() {
      if (!server.exited) return;
      server = await launch(port);
    },
  };
}
