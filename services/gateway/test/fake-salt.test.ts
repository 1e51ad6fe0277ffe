/**
 * Issue 15: the fake SCRAM salt of an unknown user must not tell which
 * gateway answered (or whether it restarted), or it tells unknown users from
 * real ones. It is derived from sasl.fakeSaltSecret, shared by the cluster.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NS_SASL } from '@parley/stanza';
import { xml } from '@parley/xml';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

/** The salt and iteration count a gateway announces for `user` (SCRAM-SHA-256 server-first). */
async function announced(h: Harness, user: string): Promise<{ salt: string; iterations: string }> {
  const client = await h.connect();
  try {
    await client.open();
    await client.starttls();
    await client.open();
    const first = `n,,n=${user},r=fixednonce`;
    client.send(
      xml(
        'auth',
        { xmlns: NS_SASL, mechanism: 'SCRAM-SHA-256' },
        Buffer.from(first).toString('base64'),
      ),
    );
    const challenge = await client.next();
    expect(challenge.is('challenge', NS_SASL)).toBe(true);
    const text = Buffer.from(challenge.text(), 'base64').toString();
    const attrs = new Map(text.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const));
    return { salt: attrs.get('s')!, iterations: attrs.get('i')! };
  } finally {
    client.close();
  }
}

describe('fake SCRAM salts of unknown users (sasl.fakeSaltSecret)', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  const start = async (secret: string, cluster?: Harness) => {
    const h = await startHarness({
      ...(cluster && { cluster }),
      gatewayId: `gw${open.length + 1}`,
      configure: (c) => {
        c.sasl.fakeSaltSecret = secret;
        c.sasl.scramIterations = 8192;
      },
    });
    open.push(h);
    return h;
  };

  it('gives the same salt on every gateway with the same secret, and another with another secret', async () => {
    const a = await start('the shared secret');
    const b = await start('the shared secret', a);
    const c = await start('another secret', a);
    const onA = await announced(a, 'ghost');
    expect(await announced(b, 'ghost')).toEqual(onA);
    expect(onA.iterations).toBe('8192');
    expect((await announced(c, 'ghost')).salt).not.toBe(onA.salt);
    // Salts still differ between users.
    expect((await announced(a, 'phantom')).salt).not.toBe(onA.salt);
  });

  it('keeps the salt of an unknown user across a restart with the same secret', async () => {
    const before = await announced(await start('the shared secret'), 'ghost');
    for (const h of open.splice(0)) await h.close();
    expect(await announced(await start('the shared secret'), 'ghost')).toEqual(before);
  });

  it('refuses to start a cluster gateway without a secret, and reads it from a file', async () => {
    await expect(
      startHarness({ gatewayDeps: { unconfiguredFakeSaltSecret: 'refuse' } }),
    ).rejects.toThrow(/sasl\.fakeSaltSecret/);
    const dir = mkdtempSync(join(tmpdir(), 'parley-fake-salt-'));
    try {
      const file = join(dir, 'fake-salt-secret');
      const inline = await announced(await start('from a file'), 'ghost');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, 'from a file\n'));
      const h = await startHarness({
        gatewayDeps: { unconfiguredFakeSaltSecret: 'refuse' },
        configure: (c) => {
          c.sasl.fakeSaltSecretFile = file;
          c.sasl.scramIterations = 8192;
        },
      });
      open.push(h);
      expect(await announced(h, 'ghost')).toEqual(inline);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('persists a random secret in the data directory when asked (all-in-one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-fake-salt-'));
    try {
      const persisted = (cluster?: Harness) =>
        startHarness({
          ...(cluster && { cluster }),
          gatewayDeps: { unconfiguredFakeSaltSecret: 'persist' },
          configure: (c) => {
            c.server.dataDir = dir;
          },
        }).then((h) => (open.push(h), h));
      const before = await announced(await persisted(), 'ghost');
      const file = join(dir, 'fake-salt-secret');
      expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
      expect(statSync(file).mode & 0o077).toBe(0);
      for (const h of open.splice(0)) await h.close();
      expect(await announced(await persisted(), 'ghost')).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
