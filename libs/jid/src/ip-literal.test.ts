import { describe, expect, it } from 'vitest';
import { formatIPv6, normalizeIPLiteral, parseIPv4, parseIPv6 } from './ip-literal.js';

describe('parseIPv4', () => {
  it('accepts dotted quads without leading zeros', () => {
    expect(parseIPv4('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(parseIPv4('255.255.255.255')).toEqual([255, 255, 255, 255]);
  });

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', 'a.b.c.d', '1.2.3.4 '])(
    'refuses %j',
    (input) => {
      expect(parseIPv4(input)).toBeUndefined();
    },
  );
});

describe('parseIPv6', () => {
  it('parses the RFC 4291 text forms', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('2001:db8::')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  });

  it.each([
    '',
    ':',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7::8',
    '::1.2.3.4:1',
  ])('refuses %j', (input) => {
    expect(parseIPv6(input)).toBeUndefined();
  });
});

describe('formatIPv6 (RFC 5952)', () => {
  it('lowercases, drops leading zeros and compresses the longest zero run', () => {
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6([0x2001, 0, 0, 1, 0, 0, 0, 1])).toBe('2001:0:0:1::1');
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
  });

  it('writes IPv4-mapped addresses in mixed notation', () => {
    expect(formatIPv6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201])).toBe('::ffff:192.0.2.1');
  });
});

describe('normalizeIPLiteral', () => {
  it('makes equal addresses compare equal', () => {
    expect(normalizeIPLiteral('[2001:0DB8:0000:0000:0000:0000:0000:0001]')).toBe('[2001:db8::1]');
    expect(normalizeIPLiteral('[::ffff:c000:201]')).toBe('[::ffff:192.0.2.1]');
  });

  it('refuses text that is not a bracketed IPv6 address', () => {
    expect(normalizeIPLiteral('::1')).toBeUndefined();
    expect(normalizeIPLiteral('[::1')).toBeUndefined();
    expect(normalizeIPLiteral('[v1.fe]')).toBeUndefined();
  });
});
