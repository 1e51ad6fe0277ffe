import { describe, expect, it } from 'vitest';
import { SaslError } from './errors.js';
import { ScramClient } from './scram-client.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('ScramClient', () => {
  it('produces the client messages of RFC 5802 section 5 (SCRAM-SHA-1)', () => {
    const client = new ScramClient('SHA-1', 'user', 'pencil', undefined, {
      nonce: 'fyko+d2lbbFgONRv9qkxdawL',
    });
    expect(client.mechanism).toBe('SCRAM-SHA-1');
    expect(client.first().toString()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = client.final(
      utf8('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'),
    );
    expect(final.toString()).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(client.verify(utf8('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='))).toBe(true);
  });

  it('produces the client messages of RFC 7677 section 3 (SCRAM-SHA-256), asynchronously', async () => {
    const client = new ScramClient('SHA-256', 'user', 'pencil', undefined, {
      nonce: 'rOprNGfwEbeRWgbNEkqO',
    });
    expect(client.first().toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.finalAsync(
      utf8(
        'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      ),
    );
    expect(final.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
        'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(client.verify(utf8('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBe(true);
  });

  it('rejects a wrong or missing server signature', () => {
    const client = new ScramClient('SHA-1', 'user', 'pencil', undefined, {
      nonce: 'fyko+d2lbbFgONRv9qkxdawL',
    });
    client.first();
    client.final(utf8('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'));
    expect(client.verify(utf8('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA='))).toBe(false);
    expect(client.verify(utf8('garbage'))).toBe(false);
    expect(client.verify(utf8('e=invalid-proof'))).toBe(false);
    expect(client.serverError).toBe('invalid-proof');
  });

  it('puts the GS2 header and channel binding data into c=', () => {
    const data = Buffer.from([1, 2, 3, 4]);
    const client = new ScramClient(
      'SHA-256',
      'user',
      'pencil',
      { type: 'tls-exporter', data },
      {
        nonce: 'abc',
        authzid: 'admin,x=y',
      },
    );
    expect(client.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(client.first().toString()).toBe('p=tls-exporter,a=admin=2Cx=3Dy,n=user,r=abc');
    const final = client.final(utf8('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096')).toString();
    const c = /^c=([^,]+),/.exec(final)?.[1] ?? '';
    expect(Buffer.from(c, 'base64')).toEqual(
      Buffer.concat([utf8('p=tls-exporter,a=admin=2Cx=3Dy,'), data]),
    );
  });

  const badServerFirst: Array<[string, string]> = [
    ['a nonce not extending ours', 'r=zzzdef,s=QSXCR+Q6sek8bf92,i=4096'],
    ['our nonce unchanged', 'r=abc,s=QSXCR+Q6sek8bf92,i=4096'],
    ['a mandatory extension', 'm=x,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096'],
    ['bad salt', 'r=abcdef,s=!!,i=4096'],
    ['zero iterations', 'r=abcdef,s=QSXCR+Q6sek8bf92,i=0'],
    ['missing iterations', 'r=abcdef,s=QSXCR+Q6sek8bf92'],
  ];
  for (const [what, message] of badServerFirst) {
    it(`refuses a server-first-message with ${what}`, () => {
      const client = new ScramClient('SHA-256', 'user', 'pencil', undefined, { nonce: 'abc' });
      client.first();
      expect(() => client.final(utf8(message))).toThrow(
        expect.objectContaining({ name: 'SaslError', code: 'invalid-server-message' }),
      );
    });
  }

  it('refuses fewer iterations than allowed', () => {
    const client = new ScramClient('SHA-256', 'user', 'pencil', undefined, { nonce: 'abc' });
    client.first();
    expect(() => client.final(utf8('r=abcdef,s=QSXCR+Q6sek8bf92,i=1000'))).toThrow(
      expect.objectContaining({ code: 'iteration-count-too-low' }),
    );
    const lenient = new ScramClient('SHA-256', 'user', 'pencil', undefined, {
      nonce: 'abc',
      minIterations: 1,
    });
    lenient.first();
    expect(lenient.final(utf8('r=abcdef,s=QSXCR+Q6sek8bf92,i=1000')).toString()).toMatch(/,p=/);
  });

  it('reuses salted passwords from a cache', async () => {
    const cache = new Map<string, Buffer>();
    const serverFirst = utf8('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096');
    const run = (password: string) => {
      const client = new ScramClient('SHA-1', 'user', password, undefined, { nonce: 'abc', cache });
      client.first();
      return client.final(serverFirst).toString();
    };
    const uncached = run('pencil');
    expect(cache.size).toBe(1);
    const [key] = cache.keys();
    expect(key).not.toContain('pencil');
    expect(run('pencil')).toBe(uncached);
    expect(cache.size).toBe(1);
    run('other');
    expect(cache.size).toBe(2);

    const asyncClient = new ScramClient('SHA-1', 'user', 'pencil', undefined, {
      nonce: 'abc',
      cache,
    });
    asyncClient.first();
    expect((await asyncClient.finalAsync(serverFirst)).toString()).toBe(uncached);
    expect(cache.size).toBe(2);
  });

  it('validates its inputs and call order', () => {
    expect(() => new ScramClient('SHA-1', '', 'x')).toThrow(
      expect.objectContaining({ code: 'invalid-username' }),
    );
    expect(() => new ScramClient('SHA-1', 'user', '')).toThrow(
      expect.objectContaining({ code: 'invalid-password' }),
    );
    expect(() => new ScramClient('SHA-1', 'user', 'x', undefined, { nonce: 'a,b' })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    const client = new ScramClient('SHA-1', 'user', 'pencil');
    expect(() => client.final(utf8('r=x,s=QSXCR+Q6sek8bf92,i=4096'))).toThrow(SaslError);
    expect(() => client.verify(utf8('v=x'))).toThrow(
      expect.objectContaining({ code: 'invalid-state' }),
    );
  });
});
