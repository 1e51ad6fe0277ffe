/**
 * Test certificates for federation tests, made with the openssl binary: a CA,
 * an unrelated CA, and server certificates (serverAuth + clientAuth, since an
 * XMPP server presents the same certificate as TLS client) with the SANs asked for.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary, removeTempDir, tempDir } from '@parley/testkit';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface CertSpec {
  name: string;
  /** openssl subjectAltName value, e.g. `DNS:a.example,otherName:1.3.6.1.5.5.7.8.5;UTF8:a.example`. */
  san?: string;
  subject?: string;
  /** Signing CA: `ca` (default) or `other`. */
  ca?: 'ca' | 'other';
}

export interface Pem {
  cert: string;
  key: string;
}

export interface TestFedPki {
  ca: string;
  otherCa: string;
  certs: Record<string, Pem>;
  remove(): Promise<void>;
}

/** SANs of an XMPP server certificate for `domain`: DNS-ID and XmppAddr. */
export function serverSan(domain: string): string {
  return `DNS:${domain},otherName:1.3.6.1.5.5.7.8.5;UTF8:${domain}`;
}

export async function makePki(specs: CertSpec[]): Promise<TestFedPki> {
  const bin = findBinary('openssl');
  if (bin === undefined) throw new Error('openssl not found');
  const dir = await tempDir('parley-s2s-pki');
  const ssl = (args: string[]) => run(bin, args, { cwd: dir });
  try {
    for (const ca of ['ca', 'other']) {
      await ssl([
        'req', '-x509', ...EC, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2',
        '-subj', `/CN=parley-s2s-test-${ca}`,
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]); // prettier-ignore
    }
    const certs: Record<string, Pem> = {};
    for (const spec of specs) {
      const n = spec.name;
      await ssl([
        'req',
        '-new',
        ...EC,
        '-keyout',
        `${n}.key`,
        '-out',
        `${n}.csr`,
        '-subj',
        spec.subject ?? `/CN=${n}`,
      ]);
      let ext = 'extendedKeyUsage=serverAuth,clientAuth\n';
      if (spec.san !== undefined) ext += `subjectAltName=${spec.san}\n`;
      await writeFile(join(dir, `${n}.ext`), ext);
      const ca = spec.ca ?? 'ca';
      await ssl([
        'x509', '-req', '-in', `${n}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
        '-CAcreateserial', '-days', '2', '-extfile', `${n}.ext`, '-out', `${n}.pem`,
      ]); // prettier-ignore
      certs[n] = {
        cert: await readFile(join(dir, `${n}.pem`), 'utf8'),
        key: await readFile(join(dir, `${n}.key`), 'utf8'),
      };
    }
    return {
      ca: await readFile(join(dir, 'ca.pem'), 'utf8'),
      otherCa: await readFile(join(dir, 'other.pem'), 'utf8'),
      certs,
      remove: () => removeTempDir(dir),
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
