import { TestkitError } from './errors.js';
import { onFreePort, startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';

export interface NatsServerOptions {
  /** Enable JetStream with a fresh store directory (`-js -sd <tmpdir>`). */
  jetstream?: boolean;
  /** Executable name or path (default `nats-server`). */
  binary?: string;
  /** Extra command line arguments. */
  args?: readonly string[];
  startTimeoutMs?: number;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Pid of the current process; changes after restart(). */
  readonly pid: number;
  /** JetStream store directory, when enabled; kept across restart(). */
  readonly storeDir: string | undefined;
  /** Stops the server and removes its store directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one on the same port and store directory. */
  restart(): Promise<void>;
}

/** Launches `nats-server` on a free loopback port and waits until it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = opts.binary ?? 'nats-server';
  const storeDir = opts.jetstream === true ? await tempDir('parley-nats-js') : undefined;
  const launch = (port: number): Promise<ServerProcess> =>
    startServerProcess({
      binary,
      port,
      args: [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        ...(storeDir === undefined ? [] : ['-js', '-sd', storeDir]),
        ...(opts.args ?? []),
      ],
      ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
    });

  let current: ServerProcess;
  try {
    current = await onFreePort(launch);
  } catch (err) {
    if (storeDir !== undefined) await removeTempDir(storeDir);
    throw err;
  }
  const port = current.port;
  let stopped = false;

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid;
    },
    storeDir,
    async stop() {
      stopped = true;
      await current.stop();
      if (storeDir !== undefined) await removeTempDir(storeDir);
    },
    async restart() {
      if (stopped) throw new TestkitError('stopped', `${binary} on port ${port} was stopped`);
      await current.stop();
      current = await launch(port);
    },
  };
}
