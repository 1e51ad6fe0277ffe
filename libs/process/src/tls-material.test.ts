import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '@parley/config';
import { createLogger } from '@parley/telemetry';
import { TlsSetupError, loadTlsMaterial } from './tls-material.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(domains: string[]) {
  const config = defaultConfig();
  config.server.dataDir = dir;
  config.server.domains = domains;
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', sink: (l) => void lines.push(l) });
  return { config, logger, lines };
}

describe('loadTlsMaterial', () => {
  it('generates a self-signed certificate for every domain once, then reuses it', async () => {
    const first = setup(['example.org', 'chat.example.org']);
    const a = await loadTlsMaterial(first.config, first.logger);
    expect(a.generated).toBe(true);
    expect(a.certFile).toBe(join(dir, 'tls', 'cert.pem'));
    expect(first.lines.join('')).toContain('generated a self-signed TLS certificate');
    const cert = new X509Certificate(a.cert);
    expect(cert.checkHost('example.org')).toBe('example.org');
    expect(cert.checkHost('chat.example.org')).toBe('chat.example.org');
    expect(statSync(a.keyFile).mode & 0o077).toBe(0);

    const second = setup(['example.org', 'chat.example.org']);
    const b = await loadTlsMaterial(second.config, second.logger);
    expect(b.generated).toBe(false);
    expect(b.cert).toBe(a.cert);

    // A new domain needs a new certificate.
    const third = setup(['example.org', 'new.example.net']);
    const c = await loadTlsMaterial(third.config, third.logger);
    expect(c.generated).toBe(true);
    expect(new X509Certificate(c.cert).checkHost('new.example.net')).toBe('new.example.net');
  });

  it('uses configured files and refuses half a configuration or bad files', async () => {
    const generated = setup(['example.org']);
    const material = await loadTlsMaterial(generated.config, generated.logger);
    const { config, logger } = setup(['example.org']);
    config.tls.certFile = material.certFile;
    config.tls.keyFile = material.keyFile;
    const loaded = await loadTlsMaterial(config, logger);
    expect(loaded.generated).toBe(false);
    expect(loaded.cert).toBe(material.cert);

    config.tls.keyFile = undefined;
    await expect(loadTlsMaterial(config, logger)).rejects.toBeInstanceOf(TlsSetupError);
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a pem');
    config.tls.keyFile = bad;
    await expect(loadTlsMaterial(config, logger)).rejects.toBeInstanceOf(TlsSetupError);
  });

  it('generates an ECDSA P-256 key, and replaces an RSA certificate generated earlier', async () => {
    const rsaDir = mkdtempSync(join(tmpdir(), 'parley-tls-rsa-'));
    try {
      // What earlier versions generated: RSA 2048, same place, same domain.
      const old = await generate([{ name: 'commonName', value: 'example.org' }], {
        keyType: 'rsa',
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 400 * 24 * 3600 * 1000),
        extensions: [
          { name: 'subjectAltName', altNames: [{ type: 2 as const, value: 'example.org' }] },
        ],
      });
      mkdirSync(join(rsaDir, 'tls'));
      writeFileSync(join(rsaDir, 'tls', 'cert.pem'), old.cert);
      writeFileSync(join(rsaDir, 'tls', 'key.pem'), old.private, { mode: 0o600 });
      const { config, logger } = setup(['example.org']);
      config.server.dataDir = rsaDir;
      const material = await loadTlsMaterial(config, logger);
      expect(material.generated).toBe(true);
      const cert = new X509Certificate(material.cert);
      expect(cert.publicKey.asymmetricKeyType).toBe('ec');
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(cert.checkHost('example.org')).toBe('example.org');

      // The P-256 one is kept on the next start.
      const again = setup(['example.org']);
      again.config.server.dataDir = rsaDir;
      const reused = await loadTlsMaterial(again.config, again.logger);
      expect(reused.generated).toBe(false);
      expect(reused.cert).toBe(material.cert);

      // Configured RSA files are used as they are.
      const oldCert = join(rsaDir, 'rsa-cert.pem');
      const oldKey = join(rsaDir, 'rsa-key.pem');
      writeFileSync(oldCert, old.cert);
      writeFileSync(oldKey, old.private, { mode: 0o600 });
      const configured = setup(['example.org']);
      configured.config.tls.certFile = oldCert;
      configured.config.tls.keyFile = oldKey;
      const rsa = await loadTlsMaterial(configured.config, configured.logger);
      expect(rsa.generated).toBe(false);
      expect(new X509Certificate(rsa.cert).publicKey.asymmetricKeyType).toBe('rsa');
    } finally {
      rmSync(rsaDir, { recursive: true, force: true });
    }
  });
});
