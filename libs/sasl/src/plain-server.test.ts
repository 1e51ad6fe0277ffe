import { describe, expect, it } from 'vitest';
import type { StoredCredentials } from './credentials.js';
import { deriveCredentials } from './credentials.js';
import { createServerMechanism } from './mechanisms.js';
import type { SaslContext } from './types.js';

const plain = (authzid: string, authcid: string, password: string) =>
  Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8');

describe('PLAIN server', async () => {
  const accounts: Record<string, StoredCredentials> = {
    alice: await deriveCredentials('s3cret'),
    jürgen: await deriveCredentials('gr\u00FC\u00DFe'),
  };
  const context = (secure = true): SaslContext => ({
    secure,
    lookup: async (username) => accounts[username],
  });

  it('authenticates with a correct password', async () => {
    const server = createServerMechanism('PLAIN', context());
    expect(await server.start(plain('', 'alice', 's3cret'))).toEqual({
      kind: 'success',
      username: 'alice',
    });
  });

  it('returns a non-empty authzid for the caller to check', async () => {
    const server = createServerMechanism('PLAIN', context());
    expect(await server.start(plain('alice@example.org', 'alice', 's3cret'))).toEqual({
      kind: 'success',
      username: 'alice',
      authzid: 'alice@example.org',
    });
  });

  it('accepts the credentials in a response after an empty challenge', async () => {
    const server = createServerMechanism('PLAIN', context());
    const first = await server.start(undefined);
    expect(first).toEqual({ kind: 'challenge', data: Buffer.alloc(0) });
    expect(await server.step(plain('', 'alice', 's3cret'))).toMatchObject({ kind: 'success' });
  });

  it('applies SASLprep to non-ASCII usernames and passwords', async () => {
    const server = createServerMechanism('PLAIN', context());
    // Decomposed u + U+0308 composes to the stored U+00FC.
    expect(await server.start(plain('', 'ju\u0308rgen', 'gru\u0308\u00DFe'))).toMatchObject({
      kind: 'success',
      username: 'jürgen',
    });
  });

  it('fails a wrong password and an unknown user the same way', async () => {
    const wrong = await createServerMechanism('PLAIN', context()).start(plain('', 'alice', 'nope'));
    const unknown = await createServerMechanism('PLAIN', context()).start(
      plain('', 'mallory', 'nope'),
    );
    expect(wrong).toEqual({ kind: 'failure', condition: 'not-authorized' });
    expect(unknown).toEqual(wrong);
  });

  it('requires TLS unless allowed without', async () => {
    expect(
      await createServerMechanism('PLAIN', context(false)).start(plain('', 'alice', 's3cret')),
    ).toEqual({ kind: 'failure', condition: 'encryption-required' });
    const allowed = createServerMechanism('PLAIN', context(false), { allowPlainWithoutTls: true });
    expect(await allowed.start(plain('', 'alice', 's3cret'))).toMatchObject({ kind: 'success' });
  });

  const malformed: Array<[string, Buffer]> = [
    ['no NUL', Buffer.from('alice')],
    ['one NUL', Buffer.from('alice\0s3cret')],
    ['three NULs', Buffer.from('\0alice\0s3cret\0')],
    ['empty authcid', plain('', '', 's3cret')],
    ['empty password', plain('', 'alice', '')],
    ['invalid UTF-8', Buffer.from([0, 0x61, 0, 0xc3])],
    ['a username failing SASLprep', plain('', 'al\u0007ice', 's3cret')],
  ];
  for (const [what, message] of malformed) {
    it(`rejects a message with ${what} as malformed-request`, async () => {
      expect(await createServerMechanism('PLAIN', context()).start(message)).toMatchObject({
        kind: 'failure',
        condition: 'malformed-request',
      });
    });
  }

  it('reports temporary-auth-failure when the lookup fails', async () => {
    const server = createServerMechanism('PLAIN', {
      secure: true,
      lookup: () => Promise.reject(new Error('store down')),
    });
    expect(await server.start(plain('', 'alice', 's3cret'))).toEqual({
      kind: 'failure',
      condition: 'temporary-auth-failure',
    });
  });

  it('throws on calls out of order', async () => {
    const server = createServerMechanism('PLAIN', context());
    await expect(server.step(plain('', 'alice', 's3cret'))).rejects.toMatchObject({
      code: 'invalid-state',
    });
    await server.start(plain('', 'alice', 's3cret'));
    await expect(server.step(plain('', 'alice', 's3cret'))).rejects.toMatchObject({
      code: 'invalid-state',
    });
  });
});
