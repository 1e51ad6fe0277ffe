import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { startRelaunchable, startServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface PostgresServerOptions {
  /**
   * Password of the superuser `postgres`. When set, TCP connections must
   * authenticate with it (SCRAM-SHA-256); otherwise every connection is trusted.
   */
  password?: string;
  /**
   * Serve TLS with this certificate and key (PEM files). With `requireTls`
   * (the default when `tls` is given) plain TCP connections are refused.
   */
  tls?: {
    certFile: string;
    keyFile: string;
    /** CA of client certificates (with `clientCerts`). */
    caFile?: string;
    requireTls?: boolean;
    /** Also require a client certificate signed by `caFile` (pg_hba clientcert=verify-ca). */
    clientCerts?: boolean;
  };
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Superuser name (`postgres`). */
  readonly user: string;
  readonly password: string | undefined;
  /** `postgres://postgres[:password]@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** The same server, another database name. */
  urlFor(database: string): string;
  /** Stops the server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server (fast shutdown) but keeps its data, to `start()` it again (drills). */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** Directory holding initdb and postgres: the newest /usr/lib/postgresql/<v>/bin, or $PATH. */
function postgresBinDir(): string | undefined {
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (findBinary(join(dir, 'postgres')) && findBinary(join(dir, 'initdb'))) return dir;
    }
  } catch {
    // Not a Debian layout; fall back to $PATH.
  }
  const postgres = findBinary('postgres');
  return postgres === undefined ? undefined : postgres.slice(0, postgres.lastIndexOf('/'));
}

/** PostgreSQL refuses to run as root: use the `postgres` (else `nobody`) account then. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields && fields[2] !== undefined && fields[3] !== undefined) {
      return { uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  }
  throw new TestkitError('start-failed', 'running as root and no postgres or nobody account');
}

function chownTree(path: string, account: { uid: number; gid: number }): void {
  chownSync(path, account.uid, account.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, account);
    else chownSync(child, account.uid, account.gid);
  }
}

/**
 * Creates a throwaway PostgreSQL cluster (`initdb` into a temporary
 * directory, fsync off) and starts it on a free loopback port. As root, the
 * server runs as the `postgres` account. The superuser is `postgres`.
 */
export async function startPostgresServer(
  opts: PostgresServerOptions = {},
): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) {
    throw new TestkitError('binary-not-found', 'postgres/initdb not found (install postgresql)');
  }
  const dir = await tempDir('parley-pg');
  const data = join(dir, 'data');
  const account = serverAccount();
  const asServer = account ?? {};
  try {
    if (account) chownTree(dir, account);
    const initArgs = ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'];
    if (opts.password !== undefined) {
      const pwfile = join(dir, 'pwfile');
      writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
      if (account) chownSync(pwfile, account.uid, account.gid);
      initArgs.push(`--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256');
    } else {
      initArgs.push('--auth=trust');
    }
    try {
      await run(join(bin, 'initdb'), initArgs, { ...asServer, cwd: dir });
    } catch (err) {
      const detail = (err as { stderr?: string }).stderr ?? String(err);
      throw new TestkitError('start-failed', `initdb failed: ${detail}`, { cause: err });
    }

    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '200',
      ...opts.settings,
    };
    const hostMethod = opts.password === undefined ? 'trust' : 'scram-sha-256';
    let hba = `local all all trust\n`;
    if (opts.tls) {
      for (const [name, file] of [
        ['server.crt', opts.tls.certFile],
        ['server.key', opts.tls.keyFile],
        ...(opts.tls.caFile === undefined ? [] : [['ca.crt', opts.tls.caFile]]),
      ] as const) {
        const target = join(dir, name);
        copyFileSync(file, target);
        chmodSync(target, 0o600);
        if (account) chownSync(target, account.uid, account.gid);
      }
      settings['ssl'] = 'on';
      settings['ssl_cert_file'] = join(dir, 'server.crt');
      settings['ssl_key_file'] = join(dir, 'server.key');
      if (opts.tls.caFile !== undefined) settings['ssl_ca_file'] = join(dir, 'ca.crt');
      const clientCert = opts.tls.clientCerts === true ? ' clientcert=verify-ca' : '';
      hba += `hostssl all all 127.0.0.0/8 ${hostMethod}${clientCert}\n`;
      if (opts.tls.requireTls === false) hba += `host all all 127.0.0.0/8 ${hostMethod}\n`;
    } else {
      hba += `host all all 127.0.0.0/8 ${hostMethod}\n`;
    }
    writeFileSync(join(data, 'pg_hba.conf'), hba);
    if (account) chownSync(join(data, 'pg_hba.conf'), account.uid, account.gid);

    const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const launch = async (port: number) => {
      const proc = await startServerProcess({
        binary: join(bin, 'postgres'),
        port,
        cwd: dir,
        args: ['-p', String(port), ...args],
        stopSignal: 'SIGINT', // fast shutdown: disconnect clients, then stop
        ...asServer,
        ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
      });
      await untilReady(data, proc, opts.startTimeoutMs ?? 10_000);
      return proc;
    };
    const server = await startRelaunchable(launch, dir);
    const auth =
      opts.password === undefined ? 'postgres' : `postgres:${encodeURIComponent(opts.password)}`;
    const urlFor = (database: string) =>
      `postgres://${auth}@127.0.0.1:${server.port}/${encodeURIComponent(database)}`;
    return Object.assign(server, {
      host: '127.0.0.1',
      user: 'postgres',
      password: opts.password,
      url: urlFor('postgres'),
      urlFor,
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

/**
 * The port opens before recovery ends; the postmaster writes "ready" as the
 * status line of postmaster.pid once it accepts sessions.
 */
async function untilReady(
  data: string,
  proc: { exited: boolean; output(): string; stop(): Promise<void> },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let status = '';
    try {
      status = readFileSync(join(data, 'postmaster.pid'), 'utf8').trim().split('\n')[7] ?? '';
    } catch {
      // Not written yet.
    }
    if (status.trim() === 'ready') return;
    if (proc.exited || Date.now() > deadline) {
      await proc.stop();
      throw new TestkitError(
        proc.exited ? 'start-failed' : 'start-timeout',
        `postgres did not become ready; output:\n${proc.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
