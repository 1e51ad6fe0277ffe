import { onFreePort, startServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';

export interface RedisServerOptions {
  /** Executable name or path (default `redis-server`). */
  binary?: string;
  /** Extra command line arguments, e.g. `['--maxmemory', '64mb']`. */
  args?: readonly string[];
  startTimeoutMs?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server and removes its working directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server, then starts a fresh one (empty: no persistence) on the same port. */
  restart(): Promise<void>;
  /** Stops the server but keeps the handle, to start it again later with `start()` (drills). */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Launches `redis-server` without persistence on a free loopback port and
 * waits until it accepts connections.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await tempDir('parley-redis');
  const launch = (port: number) =>
    startServerProcess({
      binary: opts.binary ?? 'redis-server',
      port,
      cwd: dir,
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(opts.args ?? []),
      ],
      ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
    });
  try {
    let server = await onFreePort(launch);
    const port = server.port;
    return {
      url: `redis://127.0.0.1:${port}`,
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
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
