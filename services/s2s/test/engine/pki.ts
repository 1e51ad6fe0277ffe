/**
 * Certificates with the odd names of the RFC 6125 identity tests (a wildcard
 * alone, XmppAddr or SRV-ID only, a CN without SANs), made with the test
 * kit's openssl helpers: a CA, an unrelated CA, and server certificates
 * (serverAuth + clientAuth) with the SANs asked for.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findBinary, removeTempDir, selfSignedCa, signed, tempDir } from '@parley/testkit';
import type { Pem } from './harness.js';

export interface CertSpec {
  name: string;
  /** openssl subjectAltName value, e.g. `DNS:a.example,otherName:1.3.6.1.5.5.7.8.5;UTF8:a.example`. */
  san?: string;
  subject?: string;
  /** Signing CA: `ca` (default) or `other`. */
  ca?: 'ca' | 'other';
}

export interface TestFedPki {
  ca: string;
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
  const read = (file: string): Promise<string> => readFile(join(dir, file), 'utf8');
  try {
    await selfSignedCa(bin, dir, 'ca');
    await selfSignedCa(bin, dir, 'other');
    const certs: Record<string, Pem> = {};
    for (const spec of specs) {
      let ext = 'extendedKeyUsage=serverAuth,clientAuth\n';
      if (spec.san !== undefined) ext += `subjectAltName=${spec.san}\n`;
      await signed(bin, dir, spec.name, ext, { ca: spec.ca ?? 'ca', subject: spec.subject });
      certs[spec.name] = {
        cert: await read(`${spec.name}.pem`),
        key: await read(`${spec.name}.key`),
      };
    }
    return { ca: await read('ca.pem'), certs, remove: () => removeTempDir(dir) };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
