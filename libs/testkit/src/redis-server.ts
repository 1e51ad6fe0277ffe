import type { ServerTlsFiles } from './nats-server.js';
import { startRelaunchable, startServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';

export interface RedisServerOptions {
  /** Executable name or path (default `redis-server`). */
  binary?: string;
  /** Extra command line arguments, e.g. `['--maxmemory', '64mb']`. */
  args?: readonly string[];
  startTimeoutMs?: number;
  /** `requirepass`: the password of the default user. */
  password?: string;
  /** ACL users with every permission (`user <name> on ><password> ~* &* +@all`). */
  users?: ReadonlyArray<{ name: string; password: string }>;
  /**
   * TLS only (`--port 0 --tls-port`; the url becomes `rediss://`). With
   * `authClients`, clients must show a certificate signed by `caFile`.
   */
  tls?: ServerTlsFiles & { authClients?: boolean };
}

function securityArgs(opts: RedisServerOptions, port: number): string[] {
  const args: string[] = [];
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  for (const u of opts.users ?? []) {
    args.push('--user', u.name, 'on', `>${u.password}`, '~*', '&*', '+@all');
  }
  const tls = opts.tls;
  if (tls === undefined) return ['--port', String(port), ...args];
  return [
    '--port', '0', '--tls-port', String(port),
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
    ...(tls.caFile !== undefined ? ['--tls-ca-cert-file', tls.caFile] : []),
    '--tls-auth-clients', tls.authClients === true ? 'yes' : 'no',
    ...args,
  ]; // prettier-ignore
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, or `rediss://127.0.0.1:<port>` with TLS. */
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
        ...securityArgs(opts, port),
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
    const server = await startRelaunchable(launch, dir);
    return Object.assign(server, {
      url: `${opts.tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${server.port}`,
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
