import { describe, expect, it } from 'vitest';
import { normalizeDomain } from './domainpart.js';
import { JIDError } from './errors.js';

function codeOf(s: string): string | undefined {
  try {
    normalizeDomain(s);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(JIDError);
    return (err as JIDError).code;
  }
}

describe('normalizeDomain', () => {
  it('lowercases ASCII domain names', () => {
    expect(normalizeDomain('Example.COM')).toBe('example.com');
    expect(normalizeDomain('localhost')).toBe('localhost');
    expect(normalizeDomain('a-b.c0.example')).toBe('a-b.c0.example');
  });

  it('strips one trailing dot', () => {
    expect(normalizeDomain('example.com.')).toBe('example.com');
    expect(normalizeDomain('example.com\u3002')).toBe('example.com');
    expect(codeOf('example.com..')).toBe('bad-domainpart');
    expect(codeOf('.')).toBe('bad-domainpart');
  });

  it('gives the same U-label form for U-label and A-label input', () => {
    expect(normalizeDomain('bücher.example')).toBe('bücher.example');
    expect(normalizeDomain('xn--bcher-kva.example')).toBe('bücher.example');
    expect(normalizeDomain('XN--BCHER-KVA.Example')).toBe('bücher.example');
    expect(normalizeDomain('BÜCHER.example')).toBe('bücher.example');
    expect(normalizeDomain('例え.テスト')).toBe(normalizeDomain('xn--r8jz45g.xn--zckzah'));
  });

  it('maps fullwidth characters and ideographic full stops', () => {
    expect(normalizeDomain('ＥＸＡＭＰＬＥ。com')).toBe('example.com');
  });

  it('uses nontransitional processing', () => {
    expect(normalizeDomain('faß.de')).toBe('faß.de');
    expect(normalizeDomain('xn--fa-hia.de')).toBe('faß.de');
  });

  it('refuses empty labels, spaces and characters not allowed in host names', () => {
    for (const bad of [
      'a..b',
      '.example.com',
      'exa mple.com',
      'a_b.example',
      'a@b',
      'a/b',
      'a:b',
      'a*b.example',
      '-lead.example',
      'trail-.example',
      'ab--cd.example',
      'xn--zz.example',
      'exa\u0000mple',
    ]) {
      expect(codeOf(bad), bad).toBe('bad-domainpart');
    }
    expect(codeOf('')).toBe('bad-domainpart');
  });

  it('refuses labels longer than 63 octets', () => {
    expect(normalizeDomain(`${'a'.repeat(63)}.example`)).toHaveLength(71);
    expect(codeOf(`${'a'.repeat(64)}.example`)).toBe('bad-domainpart');
    expect(codeOf(`${'ü'.repeat(60)}.example`)).toBe('bad-domainpart'); // A-label too long
  });

  it('accepts IPv4 addresses and refuses other all-numeric names', () => {
    expect(normalizeDomain('192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeDomain('１９２.０.２.１')).toBe('192.0.2.1');
    expect(codeOf('192.0.2.256')).toBe('bad-domainpart');
    expect(codeOf('192.0.2.01')).toBe('bad-domainpart');
    expect(codeOf('1.2.3')).toBe('bad-domainpart');
    expect(codeOf('example.123')).toBe('bad-domainpart');
  });

  it('accepts IPv6 literals in canonical form', () => {
    expect(normalizeDomain('[::1]')).toBe('[::1]');
    expect(normalizeDomain('[2001:DB8:0:0:0:0:0:1]')).toBe('[2001:db8::1]');
    expect(normalizeDomain('[::FFFF:192.0.2.1]')).toBe('[::ffff:192.0.2.1]');
    for (const bad of ['[::1', '[]', '[1::2::3]', '[fe80::1%eth0]', '[v1.x]', '[192.0.2.1]']) {
      expect(codeOf(bad), bad).toBe('bad-domainpart');
    }
  });

  it('limits the domainpart to 1023 octets', () => {
    const label = 'a'.repeat(63);
    const longest = Array.from({ length: 16 }, () => label).join('.'); // 16 * 64 - 1 = 1023
    expect(normalizeDomain(longest)).toHaveLength(1023);
    expect(codeOf(`${longest}.b`)).toBe('too-long'); // 1025 octets
  });
});
