import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { StoredCredentials } from './credentials.js';
import { deriveCredentials, verifyPassword } from './credentials.js';
import { createServerMechanism } from './mechanisms.js';
import type { SaslContext } from './types.js';
import { VerifiedPasswords } from './verified-passwords.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, pbkdf2: vi.fn(actual.pbkdf2) };
});

const plain = (authcid: string, password: string) =>
  Buffer.from(`\0${authcid}\0${password}`, 'utf8');

/** PBKDF2 runs counted through the mocked node:crypto. */
function pbkdf2Runs(): number {
  return vi.mocked(crypto.pbkdf2).mock.calls.length;
}

describe('VerifiedPasswords', async () => {
  const creds = await deriveCredentials('s3cret');

  it('skips PBKDF2 for a password verified before, never for a wrong one', async () => {
    const cache = new VerifiedPasswords();
    const before = pbkdf2Runs();
    expect(await verifyPassword(creds, 's3cret', { cache, username: 'alice' })).toBe(true);
    expect(pbkdf2Runs()).toBe(before + 1);
    expect(cache.size).toBe(1);
    expect(await verifyPassword(creds, 's3cret', { cache, username: 'alice' })).toBe(true);
    expect(pbkdf2Runs()).toBe(before + 1);
    // Wrong passwords are checked in full every time and not remembered.
    expect(await verifyPassword(creds, 'guess', { cache, username: 'alice' })).toBe(false);
    expect(await verifyPassword(creds, 'guess', { cache, username: 'alice' })).toBe(false);
    expect(pbkdf2Runs()).toBe(before + 3);
    expect(cache.size).toBe(1);
    // Another account with the same password is its own entry.
    expect(await verifyPassword(creds, 's3cret', { cache, username: 'bob' })).toBe(true);
    expect(pbkdf2Runs()).toBe(before + 4);
  });

  it('keeps only keyed tags: no password, salted password or key in it', async () => {
    const cache = new VerifiedPasswords();
    const tag = cache.tag('alice', creds['SCRAM-SHA-256'], 's3cret');
    expect(Buffer.from(tag, 'base64')).toHaveLength(32);
    // Another process (another key) gives another tag for the same input.
    expect(new VerifiedPasswords().tag('alice', creds['SCRAM-SHA-256'], 's3cret')).not.toBe(tag);
    const salted = crypto.pbkdf2Sync(
      's3cret',
      Buffer.from(creds['SCRAM-SHA-256'].salt, 'base64'),
      creds['SCRAM-SHA-256'].iterations,
      32,
      'sha256',
    );
    expect(tag).not.toBe(salted.toString('base64'));
    expect(Object.keys(cache)).toEqual([]);
  });

  it('forgets after a password change, after the TTL, and beyond maxEntries', async () => {
    let now = 1_000;
    const cache = new VerifiedPasswords({ ttlMs: 60_000, maxEntries: 2, now: () => now });
    const opts = { cache, username: 'alice' };
    expect(await verifyPassword(creds, 's3cret', opts)).toBe(true);
    // New credentials (new salt and keys): the old tag does not apply.
    const changed = await deriveCredentials('s3cret');
    const runs = pbkdf2Runs();
    expect(await verifyPassword(changed, 's3cret', opts)).toBe(true);
    expect(pbkdf2Runs()).toBe(runs + 1);
    const other = await deriveCredentials('other');
    expect(await verifyPassword(other, 's3cret', opts)).toBe(false);

    now += 60_001;
    const tag = cache.tag('alice', changed['SCRAM-SHA-256'], 's3cret');
    expect(cache.has(tag)).toBe(false);

    for (const user of ['a', 'b', 'c'])
      await verifyPassword(creds, 's3cret', { cache, username: user });
    expect(cache.size).toBe(2);
    expect(cache.has(cache.tag('a', creds['SCRAM-SHA-256'], 's3cret'))).toBe(false);
    expect(cache.has(cache.tag('c', creds['SCRAM-SHA-256'], 's3cret'))).toBe(true);
  });

  it('PLAIN uses it for known users only; unknown users and wrong passwords still fail', async () => {
    const accounts: Record<string, StoredCredentials> = { alice: creds };
    const ctx: SaslContext = { secure: true, lookup: async (u) => accounts[u] };
    const verifiedPasswords = new VerifiedPasswords();
    const login = (user: string, password: string) =>
      createServerMechanism('PLAIN', ctx, { verifiedPasswords }).start(plain(user, password));
    expect(await login('alice', 's3cret')).toMatchObject({ kind: 'success' });
    const runs = pbkdf2Runs();
    expect(await login('alice', 's3cret')).toMatchObject({ kind: 'success' });
    expect(pbkdf2Runs()).toBe(runs);
    expect(await login('alice', 'wrong')).toMatchObject({ kind: 'failure' });
    expect(await login('mallory', 's3cret')).toMatchObject({ kind: 'failure' });
    expect(pbkdf2Runs()).toBe(runs + 2);
    expect(verifiedPasswords.size).toBe(1);
    // The account is removed: the remembered success does not help.
    delete accounts['alice'];
    expect(await login('alice', 's3cret')).toMatchObject({ kind: 'failure' });
  });
});
