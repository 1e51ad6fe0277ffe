import { describe, expect, it } from 'vitest';
import { FNV1A32_OFFSET, fnv1a32, fnv1a32Bytes, fnv1a32Utf8 } from './fnv1a.js';

describe('FNV-1a 32', () => {
  // The reference values of the FNV test suite (ASCII: both variants agree).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['b', 0xe70c2de5],
    ['foobar', 0xbf9cf968],
  ])('hashes %j to the reference value', (s, h) => {
    expect(fnv1a32(s)).toBe(h);
    expect(fnv1a32Utf8(s)).toBe(h);
    expect(fnv1a32Bytes(Buffer.from(s, 'latin1'))).toBe(h);
  });

  it('starts from the offset basis', () => {
    expect(fnv1a32('')).toBe(FNV1A32_OFFSET);
    expect(fnv1a32Bytes(new Uint8Array())).toBe(FNV1A32_OFFSET);
  });

  // Known answers for what places data (see the users' own vectors too): the two variants
  // differ beyond ASCII, and each must stay what it is.
  it.each([
    ['jürgen@münchen.de', 0x3e8b8d2f, 0xa30f9e59],
    ['ΣΑΣ@example.com', 0x3205784f, 0xd4f6f089],
    ['🦜@x', 0x8a044907, 0xcf1c3f82],
  ])('hashes %j over UTF-16 code units and over UTF-8 bytes', (s, utf16, utf8) => {
    expect(fnv1a32(s)).toBe(utf16);
    expect(fnv1a32Utf8(s)).toBe(utf8);
    expect(fnv1a32Bytes(Buffer.from(s, 'utf8'))).toBe(utf8);
  });

  it('returns an unsigned 32-bit integer', () => {
    for (const s of ['x', 'alice@example.org', '\uffff\uffff']) {
      const h = fnv1a32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});
