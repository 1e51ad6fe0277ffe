import { describe, expect, it } from 'vitest';
import { JIDError } from './errors.js';
import { JID } from './jid.js';
import { bareJID, clearJIDCache, parseJID, tryParseJID } from './parse.js';

function parts(s: string): [string, string, string] {
  const jid = parseJID(s);
  return [jid.local, jid.domain, jid.resource];
}

function codeOf(s: string): string | undefined {
  try {
    parseJID(s);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(JIDError);
    return (err as JIDError).code;
  }
}

describe('RFC 7622 section 3.5 Table 1: valid JIDs', () => {
  it.each<[string, [string, string, string]]>([
    ['juliet@example.com', ['juliet', 'example.com', '']],
    ['juliet@example.com/foo', ['juliet', 'example.com', 'foo']],
    ['juliet@example.com/foo bar', ['juliet', 'example.com', 'foo bar']],
    ['juliet@example.com/foo@bar', ['juliet', 'example.com', 'foo@bar']],
    ['foo\\20bar@example.com', ['foo\\20bar', 'example.com', '']],
    ['fussball@example.com', ['fussball', 'example.com', '']],
    ['fußball@example.com', ['fußball', 'example.com', '']],
    ['π@example.com', ['π', 'example.com', '']],
    ['Σ@example.com/foo', ['σ', 'example.com', 'foo']],
    ['σ@example.com/foo', ['σ', 'example.com', 'foo']],
    ['ς@example.com/foo', ['ς', 'example.com', 'foo']],
    ['king@example.com/♚', ['king', 'example.com', '♚']],
    ['example.com', ['', 'example.com', '']],
    ['example.com/foobar', ['', 'example.com', 'foobar']],
    ['a.example.com/b@example.net', ['', 'a.example.com', 'b@example.net']],
  ])('%s', (input, expected) => {
    expect(parts(input)).toEqual(expected);
  });
});

describe('RFC 7622 section 3.5 Table 2: invalid JIDs', () => {
  it.each<[string, string]>([
    ['"juliet"@example.com', 'bad-localpart'],
    ['foo bar@example.com', 'bad-localpart'],
    ['@example.com/', 'malformed'],
    ['henry\u2163@example.com', 'bad-localpart'],
    ['♚@example.com', 'bad-localpart'],
    ['juliet@', 'malformed'],
    ['/foobar', 'malformed'],
  ])('%s is refused with %s', (input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('accepts a leading space in the resourcepart (RFC 7622 erratum 4560)', () => {
    // Table 2 lists "juliet@example.com/ foo", but OpaqueString allows it.
    expect(parts('juliet@example.com/ foo')).toEqual(['juliet', 'example.com', ' foo']);
  });
});

describe('parseJID structure (RFC 7622 section 3.1)', () => {
  it('splits the resourcepart at the first slash, which may contain / and @', () => {
    expect(parts('user@host/a/b@c/d')).toEqual(['user', 'host', 'a/b@c/d']);
    expect(parts('server/resource@foo')).toEqual(['', 'server', 'resource@foo']);
  });

  it.each(['', '@', '/', '@/', '@example.com', 'a@', 'a@b/', '@/resource', 'node@/server'])(
    'refuses empty parts in %j as malformed',
    (input) => {
      expect(codeOf(input)).toBe('malformed');
    },
  );

  it.each(['juliet@@example.com', 'user@@host/resource', 'a@b@c'])(
    'refuses more than one @ before the resource in %j',
    (input) => {
      expect(codeOf(input)).toBe('malformed');
    },
  );

  it('normalizes case in localpart and domainpart but not in the resourcepart', () => {
    const jid = parseJID('Juliet@Example.COM/Balcony');
    expect([jid.local, jid.domain, jid.resource]).toEqual(['juliet', 'example.com', 'Balcony']);
    expect(jid.toString()).toBe('juliet@example.com/Balcony');
  });

  it('parses IP literal and internationalized domainparts', () => {
    expect(parts('juliet@[2001:DB8::0:1]/x')).toEqual(['juliet', '[2001:db8::1]', 'x']);
    expect(parts('juliet@192.0.2.1')).toEqual(['juliet', '192.0.2.1', '']);
    expect(parseJID('user@xn--bcher-kva.example').equals(parseJID('User@Bücher.Example.'))).toBe(
      true,
    );
  });

  it('reports the failing part through the error code', () => {
    expect(codeOf('a b@example.com')).toBe('bad-localpart');
    expect(codeOf('juliet@exa mple.com')).toBe('bad-domainpart');
    expect(codeOf('juliet@example.com/x\u0000y')).toBe('bad-resourcepart');
    expect(codeOf(`${'a'.repeat(1024)}@example.com`)).toBe('too-long');
  });

  it('throws a JIDError with name and message', () => {
    expect(() => parseJID('@example.com')).toThrowError(JIDError);
    try {
      parseJID('@example.com');
    } catch (err) {
      expect((err as Error).name).toBe('JIDError');
      expect((err as Error).message).toMatch(/empty localpart/);
    }
  });
});

describe('tryParseJID', () => {
  it('returns the JID or undefined', () => {
    expect(tryParseJID('romeo@example.net/orchard')?.toString()).toBe('romeo@example.net/orchard');
    expect(tryParseJID('romeo@')).toBeUndefined();
    expect(tryParseJID('♚@example.com')).toBeUndefined();
  });
});

describe('bareJID', () => {
  it('returns the normalized bare form', () => {
    expect(bareJID('Romeo@Example.NET/Orchard')).toBe('romeo@example.net');
    expect(bareJID('example.net/component')).toBe('example.net');
  });

  it('throws for invalid input', () => {
    expect(() => bareJID('a@b/')).toThrowError(JIDError);
  });
});

describe('parse cache', () => {
  it('returns the same immutable JID for a repeated string', () => {
    clearJIDCache();
    const first = parseJID('nurse@example.com/chamber');
    expect(parseJID('nurse@example.com/chamber')).toBe(first);
    expect(first).toBeInstanceOf(JID);
  });

  it('does not remember failures', () => {
    clearJIDCache();
    expect(tryParseJID('@x')).toBeUndefined();
    expect(() => parseJID('@x')).toThrowError(JIDError);
  });

  it('stays correct after evicting old entries', () => {
    clearJIDCache();
    const first = parseJID('user0@example.com');
    for (let i = 1; i <= 10_050; i++) parseJID(`user${i}@example.com`);
    const again = parseJID('user0@example.com');
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
  });
});
