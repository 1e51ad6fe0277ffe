/**
 * A throw-away certificate authority for TLS tests, made with the `openssl`
 * command line tool: a CA, a server certificate for 127.0.0.1/localhost, a
 * client certificate (mutual TLS), and a second, unrelated CA to show that a
 * client trusting the wrong CA is refused. EC P-256 keys, valid for 2 days.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { removeTempDir, tempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface TestPki {
  readonly dir: string;
  /** CA certificate that signed the server and client certificates. */
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A self-signed CA that signed nothing here. */
  readonly otherCaFile: string;
  /** Removes the directory with every key. */
  remove(): Promise<void>;
}

export interface TestPkiOptions {
  /** Names of the server certificate (default `127.0.0.1`, `localhost`); IPs become IP SANs. */
  hosts?: string[];
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Runs the `openssl` binary `openssl` in `cwd`; a failure becomes a TestkitError quoting its stderr. */
export async function openssl(openssl: string, cwd: string, args: string[]): Promise<void> {
  try {
    await run(openssl, args, { cwd });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? '';
    throw new TestkitError('start-failed', `openssl ${args.join(' ')} failed: ${stderr.trim()}`, {
      cause,
    });
  }
}

/** A self-signed CA in `dir`: `<name>.key` and `<name>.pem` (CN parley-test-<name>). */
export async function selfSignedCa(bin: string, dir: string, name: string): Promise<void> {
  await openssl(bin, dir, [
    'req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
    '-subj', `/CN=parley-test-${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
}

export interface SignOptions {
  /** Base name of the signing CA's `.pem` and `.key` in `dir` (default `ca`). */
  ca?: string;
  /** Subject (default `/CN=<name>`). */
  subject?: string;
  /** Reuse this existing key file instead of making `<name>.key`. */
  keyFile?: string;
}

/**
 * A certificate `<name>.pem` in `dir`, signed by the CA `opts.ca`, with the
 * extensions in `ext` (openssl `-extfile` syntax), for a new key `<name>.key`
 * (or `opts.keyFile`).
 */
export async function signed(
  bin: string,
  dir: string,
  name: string,
  ext: string,
  opts: SignOptions = {},
): Promise<void> {
  const ca = opts.ca ?? 'ca';
  const subject = opts.subject ?? `/CN=${name}`;
  const key =
    opts.keyFile === undefined ? [...EC, '-keyout', `${name}.key`] : ['-key', opts.keyFile];
  await openssl(bin, dir, ['req', '-new', ...key, '-out', `${name}.csr`, '-subj', subject]);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(bin, dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2',
    '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]); // prettier-ignore
}

/** Makes the CA and certificates in a fresh temporary directory. */
export async function createTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const bin = findBinary('openssl');
  if (bin === undefined) throw new TestkitError('binary-not-found', 'openssl not found');
  const dir = await tempDir('parley-pki');
  try {
    const hosts = opts.hosts ?? ['127.0.0.1', 'localhost'];
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    await selfSignedCa(bin, dir, 'ca');
    await selfSignedCa(bin, dir, 'other-ca');
    await signed(bin, dir, 'server', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    await signed(bin, dir, 'client', 'extendedKeyUsage=clientAuth\n');
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    otherCaFile: join(dir, 'other-ca.pem'),
    remove: () => removeTempDir(dir),
  };
}
