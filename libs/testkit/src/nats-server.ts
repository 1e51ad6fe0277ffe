import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import type { NatsOperatorAuth } from './nats-jwt.js';
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
  /** Require authentication: a token, or users with passwords and/or NKeys (public keys, `U...`). */
  auth?: NatsServerAuth;
  /** Require TLS (the url becomes `tls://`); with `verify`, clients must show a certificate signed by `caFile`. */
  tls?: ServerTlsFiles & { verify?: boolean };
}

export type NatsServerAuth =
  | { token: string }
  /** Decentralized JWT authentication (see createNatsJwtSetup). */
  | { operator: NatsOperatorAuth }
  | {
      users?: ReadonlyArray<{ user: string; password: string; permissions?: NatsPermissions }>;
      nkeys?: readonly string[];
    };

/** A user's `permissions` block of the nats-server configuration, as written there. */
export interface NatsPermissions {
  publish?: { allow?: readonly string[]; deny?: readonly string[] };
  subscribe?: { allow?: readonly string[]; deny?: readonly string[] };
  allow_responses?: boolean;
}

/** PEM files of a test server (see createTestPki). */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** CA of client certificates. */
  caFile?: string;
}

/** nats-server configuration (JSON is valid NATS configuration syntax) for auth and TLS. */
function natsConfig(opts: NatsServerOptions): string | undefined {
  const conf: Record<string, unknown> = {};
  const auth = opts.auth;
  if (auth !== undefined && 'operator' in auth) {
    conf['operator'] = auth.operator.operatorJwt;
    conf['resolver'] = 'MEMORY';
    conf['resolver_preload'] = auth.operator.accounts;
  } else if (auth !== undefined) {
    conf['authorization'] =
      'token' in auth
        ? { token: auth.token }
        : {
            users: [
              ...(auth.users ?? []).map((u) => ({
                user: u.user,
                password: u.password,
                ...(u.permissions !== undefined ? { permissions: u.permissions } : {}),
              })),
              ...(auth.nkeys ?? []).map((nkey) => ({ nkey })),
            ],
          };
  }
  if (opts.tls !== undefined) {
    conf['tls'] = {
      cert_file: opts.tls.certFile,
      key_file: opts.tls.keyFile,
      ...(opts.tls.caFile !== undefined ? { ca_file: opts.tls.caFile } : {}),
      ...(opts.tls.verify === true ? { verify: true } : {}),
      timeout: 5,
    };
  }
  return Object.keys(conf).length === 0 ? undefined : JSON.stringify(conf, null, 2);
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`, or `tls://127.0.0.1:<port>` with TLS. */
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
  /** The last 16 KiB the current process wrote (e.g. to look for permission violations). */
  output(): string;
}

/** Launches `nats-server` on a free loopback port and waits until it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = opts.binary ?? 'nats-server';
  const storeDir = opts.jetstream === true ? await tempDir('parley-nats-js') : undefined;
  const conf = natsConfig(opts);
  const confDir = conf === undefined ? undefined : await tempDir('parley-nats-conf');
  const confFile = confDir === undefined ? undefined : join(confDir, 'nats.conf');
  if (confFile !== undefined) await writeFile(confFile, conf!, { mode: 0o600 });
  const removeDirs = async (): Promise<void> => {
    if (storeDir !== undefined) await removeTempDir(storeDir);
    if (confDir !== undefined) await removeTempDir(confDir);
  };
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
        ...(confFile === undefined ? [] : ['-c', confFile]),
        ...(opts.args ?? []),
      ],
      ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
    });

  let current: ServerProcess;
  try {
    current = await onFreePort(launch);
  } catch (err) {
    await removeDirs();
    throw err;
  }
  const port = current.port;
  let stopped = false;

  return {
    url: `${opts.tls === undefined ? 'nats' : 'tls'}://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid;
    },
    storeDir,
    async stop() {
      stopped = true;
      await current.stop();
      await removeDirs();
    },
    output: () => current.output(),
    async restart() {
      if (stopped) throw new TestkitError('stopped', `${binary} on port ${port} was stopped`);
      await current.stop();
      current = await launch(port);
    },
  };
}
