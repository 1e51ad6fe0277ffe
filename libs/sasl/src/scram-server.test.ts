import { describe, expect, it } from 'vitest';
import type { StoredCredentials } from './credentials.js';
import { deriveCredentials, deriveScramCredential } from './credentials.js';
import { SaslError } from './errors.js';
import { createServerMechanism } from './mechanisms.js';
import type { ServerMechanismOptions } from './options.js';
import { ScramClient } from './scram-client.js';
import type {
  ChannelBindingSource,
  ChannelBindingType,
  Mechanism,
  SaslContext,
  SaslStep,
  ServerMechanism,
} from './types.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

function expectChallenge(step: SaslStep): Buffer {
  if (step.kind !== 'challenge')
    throw new Error(`expected a challenge, got ${JSON.stringify(step)}`);
  return step.data;
}

function bindings(data: Partial<Record<ChannelBindingType, Buffer>>): ChannelBindingSource {
  return {
    types: Object.keys(data) as ChannelBindingType[],
    get: (type) => data[type],
  };
}

function context(
  accounts: Record<string, StoredCredentials>,
  extra: Partial<SaslContext> = {},
): SaslContext & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    secure: true,
    lookups,
    lookup: async (username) => {
      lookups.push(username);
      return accounts[username];
    },
    ...extra,
  };
}

/** Runs a whole exchange; returns the server's challenges and final step. */
async function exchange(server: ServerMechanism, client: ScramClient) {
  const serverFirst = expectChallenge(await server.start(client.first()));
  const result = await server.step(client.final(serverFirst));
  return { serverFirst, result };
}

describe('SCRAM server: RFC test vectors', () => {
  it('reproduces the SCRAM-SHA-1 exchange of RFC 5802 section 5', async () => {
    const creds: StoredCredentials = {
      'SCRAM-SHA-1': await deriveScramCredential(
        'SHA-1',
        'pencil',
        Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
        4096,
      ),
      'SCRAM-SHA-256': (await deriveCredentials('pencil'))['SCRAM-SHA-256'],
    };
    const ctx = context({ user: creds });
    const server = createServerMechanism('SCRAM-SHA-1', ctx, { nonce: () => '3rfcNHYJY1ZVvWVs7j' });

    const first = await server.start(utf8('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    expect(expectChallenge(first).toString()).toBe(
      'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    );
    const final = await server.step(
      utf8('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='),
    );
    expect(final).toEqual({
      kind: 'success',
      username: 'user',
      data: utf8('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='),
    });
    expect(ctx.lookups).toEqual(['user']);
  });

  it('reproduces the SCRAM-SHA-256 exchange of RFC 7677 section 3', async () => {
    const creds: StoredCredentials = {
      'SCRAM-SHA-1': (await deriveCredentials('pencil'))['SCRAM-SHA-1'],
      'SCRAM-SHA-256': await deriveScramCredential(
        'SHA-256',
        'pencil',
        Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
        4096,
      ),
    };
    const server = createServerMechanism('SCRAM-SHA-256', context({ user: creds }), {
      nonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    });

    const first = await server.start(utf8('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(expectChallenge(first).toString()).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = await server.step(
      utf8(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
          'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    expect(final).toEqual({
      kind: 'success',
      username: 'user',
      data: utf8('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
    });
  });
});

describe('SCRAM server: round trips', async () => {
  const creds = await deriveCredentials('s3cret');
  const accounts = { alice: creds };
  const exporter = Buffer.alloc(32, 7);
  const endPoint = Buffer.alloc(32, 9);

  const cases: Array<[Mechanism, 'SHA-1' | 'SHA-256', boolean]> = [
    ['SCRAM-SHA-1', 'SHA-1', false],
    ['SCRAM-SHA-256', 'SHA-256', false],
    ['SCRAM-SHA-1-PLUS', 'SHA-1', true],
    ['SCRAM-SHA-256-PLUS', 'SHA-256', true],
  ];

  for (const [mechanism, hash, plus] of cases) {
    it(`authenticates with ${mechanism} on a stream with channel binding`, async () => {
      const ctx = context(accounts, {
        channelBinding: bindings({ 'tls-exporter': exporter, 'tls-server-end-point': endPoint }),
      });
      const server = createServerMechanism(mechanism, ctx);
      const client = new ScramClient(
        hash,
        'alice',
        's3cret',
        plus ? { type: 'tls-exporter', data: exporter } : undefined,
      );
      expect(client.mechanism).toBe(mechanism);
      const { result } = await exchange(server, client);
      expect(result.kind).toBe('success');
      if (result.kind !== 'success' || result.data === undefined) throw new Error('no data');
      expect(result.username).toBe('alice');
      expect(result.authzid).toBeUndefined();
      expect(client.verify(result.data)).toBe(true);
    });
  }

  it('accepts tls-server-end-point when the client picks it', async () => {
    const ctx = context(accounts, {
      channelBinding: bindings({ 'tls-exporter': exporter, 'tls-server-end-point': endPoint }),
    });
    const server = createServerMechanism('SCRAM-SHA-256-PLUS', ctx);
    const client = new ScramClient('SHA-256', 'alice', 's3cret', {
      type: 'tls-server-end-point',
      data: endPoint,
    });
    expect((await exchange(server, client)).result.kind).toBe('success');
  });

  it('sends an empty challenge when <auth/> had no initial response', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    const client = new ScramClient('SHA-256', 'alice', 's3cret');
    expect(expectChallenge(await server.start(undefined))).toHaveLength(0);
    const serverFirst = expectChallenge(await server.step(client.first()));
    const result = await server.step(client.final(serverFirst));
    expect(result.kind).toBe('success');
  });

  it('returns the authzid and the SASLprep-ed username', async () => {
    const server = createServerMechanism('SCRAM-SHA-1', context(accounts));
    // U+00AD SOFT HYPHEN is mapped to nothing by SASLprep.
    const client = new ScramClient('SHA-1', 'ali\u00ADce', 's3cret', undefined, {
      authzid: 'alice@example.org',
    });
    const { result } = await exchange(server, client);
    expect(result).toMatchObject({
      kind: 'success',
      username: 'alice',
      authzid: 'alice@example.org',
    });
  });

  it('decodes =2C and =3D in usernames before the lookup', async () => {
    const ctx = context({ 'a,b=c': creds });
    const server = createServerMechanism('SCRAM-SHA-256', ctx);
    const client = new ScramClient('SHA-256', 'a,b=c', 's3cret');
    expect(client.first().toString()).toContain('n=a=2Cb=3Dc,');
    expect((await exchange(server, client)).result).toMatchObject({ username: 'a,b=c' });
    expect(ctx.lookups).toEqual(['a,b=c']);
  });

  it('authenticates a user whose password is non-ASCII, typed in another normalization', async () => {
    // NFKC: U+2168 ROMAN NUMERAL NINE becomes 'IX', 'a' + U+0308 composes to U+00E4.
    const unicode = await deriveCredentials('p\u00E4ss\u2168');
    const server = createServerMechanism('SCRAM-SHA-256', context({ bob: unicode }));
    const client = new ScramClient('SHA-256', 'bob', 'pa\u0308ssIX');
    expect((await exchange(server, client)).result.kind).toBe('success');
  });
});

describe('SCRAM server: failures', async () => {
  const creds = await deriveCredentials('s3cret');
  const accounts = { alice: creds };
  const exporter = Buffer.alloc(32, 7);
  const withBinding = () =>
    context(accounts, { channelBinding: bindings({ 'tls-exporter': exporter }) });

  it('fails with not-authorized when the channel binding data differs', async () => {
    const server = createServerMechanism('SCRAM-SHA-256-PLUS', withBinding());
    const client = new ScramClient('SHA-256', 'alice', 's3cret', {
      type: 'tls-exporter',
      data: Buffer.alloc(32, 8),
    });
    expect((await exchange(server, client)).result).toMatchObject({
      kind: 'failure',
      condition: 'not-authorized',
    });
  });

  it('fails when the channel binding type is not available', async () => {
    const server = createServerMechanism('SCRAM-SHA-256-PLUS', withBinding());
    const client = new ScramClient('SHA-256', 'alice', 's3cret', {
      type: 'tls-unique',
      data: exporter,
    });
    expect(await server.start(client.first())).toMatchObject({
      kind: 'failure',
      condition: 'not-authorized',
    });
  });

  it('fails when the client sends c= for a different GS2 header than it started with', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    const serverFirst = expectChallenge(await server.start(utf8('n,,n=alice,r=abcdefgh')));
    const nonce = /r=([^,]+)/.exec(serverFirst.toString())?.[1];
    const forged = Buffer.from('y,,').toString('base64');
    const result = await server.step(
      utf8(`c=${forged},r=${nonce},p=${Buffer.alloc(32).toString('base64')}`),
    );
    expect(result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });

  it("detects a downgrade: flag 'y' while the server offers -PLUS", async () => {
    const server = createServerMechanism('SCRAM-SHA-256', withBinding());
    const client = new ScramClient('SHA-256', 'alice', 's3cret', undefined, {
      supportsChannelBinding: true,
    });
    expect(client.first().subarray(0, 3).toString()).toBe('y,,');
    expect(await server.start(client.first())).toMatchObject({
      kind: 'failure',
      condition: 'not-authorized',
    });
  });

  it("accepts flag 'y' when the server has no channel binding", async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    const client = new ScramClient('SHA-256', 'alice', 's3cret', undefined, {
      supportsChannelBinding: true,
    });
    expect((await exchange(server, client)).result.kind).toBe('success');
  });

  it('rejects -PLUS without channel binding data as invalid-mechanism', async () => {
    const server = createServerMechanism('SCRAM-SHA-1-PLUS', context(accounts));
    expect(await server.start(undefined)).toMatchObject({
      kind: 'failure',
      condition: 'invalid-mechanism',
    });
  });

  it("rejects -PLUS with flag 'n' and non-PLUS with flag 'p'", async () => {
    const plus = createServerMechanism('SCRAM-SHA-256-PLUS', withBinding());
    expect(await plus.start(utf8('n,,n=alice,r=abc'))).toMatchObject({
      condition: 'malformed-request',
    });
    const plain = createServerMechanism('SCRAM-SHA-256', withBinding());
    expect(await plain.start(utf8('p=tls-exporter,,n=alice,r=abc'))).toMatchObject({
      condition: 'malformed-request',
    });
  });

  it('fails a wrong password with not-authorized at the proof step', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    const client = new ScramClient('SHA-256', 'alice', 'wrong');
    const { result } = await exchange(server, client);
    expect(result).toEqual({ kind: 'failure', condition: 'not-authorized' });
  });

  it('runs the whole exchange for an unknown user and fails it like a wrong password', async () => {
    const opts: ServerMechanismOptions = { unknownUserSecret: Buffer.alloc(32, 1) };
    const ctx = context(accounts);
    const attempt = async () => {
      const server = createServerMechanism('SCRAM-SHA-256', ctx, opts);
      return exchange(server, new ScramClient('SHA-256', 'mallory', 'guess'));
    };
    const one = await attempt();
    const two = await attempt();
    expect(one.result).toEqual({ kind: 'failure', condition: 'not-authorized' });
    expect(two.result).toEqual(one.result);

    const salt = (serverFirst: Buffer) => /,s=([^,]+),i=(\d+)$/.exec(serverFirst.toString());
    // Same salt and iteration count on every attempt, like a real account.
    expect(salt(one.serverFirst)?.[1]).toBe(salt(two.serverFirst)?.[1]);
    expect(salt(one.serverFirst)?.[2]).toBe('4096');
    expect(Buffer.from(salt(one.serverFirst)?.[1] ?? '', 'base64')).toHaveLength(16);

    // Another node with the same secret announces the same salt; another secret does not.
    const sameSecret = createServerMechanism('SCRAM-SHA-256', ctx, { ...opts });
    const otherSecret = createServerMechanism('SCRAM-SHA-256', ctx, {
      unknownUserSecret: Buffer.alloc(32, 2),
    });
    const first = utf8('n,,n=mallory,r=abc');
    const saltOf = async (server: ServerMechanism) =>
      salt(expectChallenge(await server.start(first)))?.[1];
    expect(await saltOf(sameSecret)).toBe(salt(one.serverFirst)?.[1]);
    expect(await saltOf(otherSecret)).not.toBe(salt(one.serverFirst)?.[1]);
    expect(ctx.lookups.every((name) => name === 'mallory')).toBe(true);
  });

  it('announces the configured iteration count for unknown users', async () => {
    const server = createServerMechanism('SCRAM-SHA-1', context(accounts), {
      unknownUserIterations: 10000,
    });
    const serverFirst = expectChallenge(await server.start(utf8('n,,n=nobody,r=abc')));
    expect(serverFirst.toString()).toMatch(/,i=10000$/);
  });

  it('reports temporary-auth-failure when the lookup fails', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', {
      secure: true,
      lookup: () => Promise.reject(new Error('store down')),
    });
    expect(await server.start(utf8('n,,n=alice,r=abc'))).toEqual({
      kind: 'failure',
      condition: 'temporary-auth-failure',
    });
  });

  it('fails a client-final whose nonce is not the combined nonce', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts), {
      nonce: () => 'SRV',
    });
    await server.start(utf8('n,,n=alice,r=abc'));
    const result = await server.step(
      utf8(`c=biws,r=abcXYZ,p=${Buffer.alloc(32).toString('base64')}`),
    );
    expect(result).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });

  const malformedFirst: Array<[string, string]> = [
    ['empty message', ''],
    ['no GS2 header', 'n=alice,r=abc'],
    ['unknown GS2 flag', 'x,,n=alice,r=abc'],
    ['mandatory extension', 'n,,m=ext,n=alice,r=abc'],
    ['missing username', 'n,,r=abc'],
    ['missing nonce', 'n,,n=alice'],
    ['empty nonce', 'n,,n=alice,r='],
    ['bad saslname escape', 'n,,n=al=2Bice,r=abc'],
    ['authzid without a=', 'n,x=bob,n=alice,r=abc'],
    ['bad extension', 'n,,n=alice,r=abc,nonsense'],
    ['username failing SASLprep', 'n,,n=al\u0007ice,r=abc'],
  ];
  for (const [what, message] of malformedFirst) {
    it(`rejects a client-first-message with ${what} as malformed-request`, async () => {
      const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
      expect(await server.start(utf8(message))).toMatchObject({
        kind: 'failure',
        condition: 'malformed-request',
      });
    });
  }

  it('rejects invalid UTF-8 and oversized messages', async () => {
    const bad = createServerMechanism('SCRAM-SHA-256', context(accounts));
    expect(await bad.start(Buffer.from([0x6e, 0x2c, 0x2c, 0xff]))).toMatchObject({
      condition: 'malformed-request',
    });
    const big = createServerMechanism('SCRAM-SHA-256', context(accounts), { maxMessageLength: 64 });
    expect(await big.start(utf8(`n,,n=${'a'.repeat(64)},r=abc`))).toMatchObject({
      condition: 'malformed-request',
    });
  });

  const malformedFinal: Array<[string, (nonce: string) => string]> = [
    ['no proof', (n) => `c=biws,r=${n}`],
    ['proof not last', (n) => `c=biws,p=${Buffer.alloc(32).toString('base64')},r=${n}`],
    ['bad base64 proof', (n) => `c=biws,r=${n},p=***`],
    ['short proof', (n) => `c=biws,r=${n},p=${Buffer.alloc(8).toString('base64')}`],
    ['bad base64 c=', (n) => `c=b!ws,r=${n},p=${Buffer.alloc(32).toString('base64')}`],
  ];
  for (const [what, build] of malformedFinal) {
    it(`rejects a client-final-message with ${what} as malformed-request`, async () => {
      const server = createServerMechanism('SCRAM-SHA-256', context(accounts), {
        nonce: () => 'SRV',
      });
      await server.start(utf8('n,,n=alice,r=abc'));
      expect(await server.step(utf8(build('abcSRV')))).toMatchObject({
        kind: 'failure',
        condition: 'malformed-request',
      });
    });
  }

  it('ignores optional extensions after the nonce', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    const client = new ScramClient('SHA-256', 'alice', 's3cret');
    const first = Buffer.concat([client.first(), utf8(',x=future')]);
    const serverFirst = expectChallenge(await server.start(first));
    // The extension is part of client-first-message-bare, so the client's
    // AuthMessage (built without it) no longer matches: the proof fails.
    expect((await server.step(client.final(serverFirst))).kind).toBe('failure');
  });

  it('throws on calls out of order', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts));
    await expect(server.step(utf8('x'))).rejects.toThrow(SaslError);
    await server.start(utf8('n,,n=alice,r=abc'));
    await expect(server.start(undefined)).rejects.toMatchObject({ code: 'invalid-state' });
    const failed = createServerMechanism('SCRAM-SHA-256', context(accounts));
    await failed.start(utf8('garbage'));
    await expect(failed.step(utf8('x'))).rejects.toMatchObject({ code: 'invalid-state' });
  });

  it('rejects an injected server nonce SCRAM cannot carry', async () => {
    const server = createServerMechanism('SCRAM-SHA-256', context(accounts), {
      nonce: () => 'a,b',
    });
    await expect(server.start(utf8('n,,n=alice,r=abc'))).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});
