/**
 * A coturn TURN server (Debian's `coturn`) for tests of XEP-0215 external
 * services: loopback only, time-limited credentials with a shared secret
 * (`use-auth-secret`, the TURN REST scheme), no TLS, its database and pid
 * file in a temporary directory. `turnutils_uclient` from the same package
 * checks that credentials allocate a relay (`allocate`).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface TurnServer {
  readonly host: string;
  /** UDP and TCP port of the TURN listener. */
  readonly port: number;
  readonly realm: string;
  readonly proc: ServerProcess;
  /**
   * Allocates a relay with these credentials (turnutils_uclient over UDP):
   * true when the server granted it, false when it refused them.
   */
  allocate(username: string, password: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startTurnServer(opts: {
  secret: string;
  realm?: string;
}): Promise<TurnServer> {
  const bin = findBinary('turnserver');
  const client = findBinary('turnutils_uclient');
  if (bin === undefined || client === undefined)
    throw new TestkitError(
      'binary-not-found',
      'turnserver or turnutils_uclient not found (coturn)',
    );
  const dir = await tempDir('parley-turn');
  const port = await freePort();
  const relayLow = 40000 + Math.floor(Math.random() * 20000);
  const realm = opts.realm ?? 'parley.test';
  let proc: ServerProcess;
  try {
    proc = await startServerProcess({
      binary: bin,
      args: [
        '-n',
        '--listening-ip=127.0.0.1',
        `--listening-port=${port}`,
        '--relay-ip=127.0.0.1',
        // The allocation check relays between two loopback clients (never in production).
        '--allow-loopback-peers',
        `--min-port=${relayLow}`,
        `--max-port=${relayLow + 50}`,
        '--use-auth-secret',
        `--static-auth-secret=${opts.secret}`,
        `--realm=${realm}`,
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--simple-log',
        '--log-file=stdout',
        `--pidfile=${join(dir, 'turnserver.pid')}`,
        `--userdb=${join(dir, 'turndb')}`,
      ],
      port,
      host: '127.0.0.1',
      logFile: join(dir, 'turnserver.log'),
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    realm,
    proc,
    async allocate(username, password) {
      // -n 0: allocate only, send nothing; exit 0 once the allocation succeeded.
      try {
        await run(
          client,
          [
            '-p',
            String(port),
            '-u',
            username,
            '-w',
            password,
            '-n',
            '0',
            '-m',
            '1',
            '-y',
            '127.0.0.1',
          ],
          {
            timeout: 15_000,
          },
        );
        return true;
      } catch (err) {
        if (process.env['PARLEY_TEST_LOG'])
          process.stderr.write(
            `turnutils_uclient: ${String((err as { stdout?: string }).stdout)} ${String(err)}\n`,
          );
        return false;
      }
    },
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}
