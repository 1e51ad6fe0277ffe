import { describe, expect, it } from 'vitest';
import { JIDError } from './errors.js';
import { normalizeResourcepart } from './resourcepart.js';

function codeOf(s: string): string | undefined {
  try {
    normalizeResourcepart(s);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(JIDError);
    return (err as JIDError).code;
  }
}

describe('normalizeResourcepart', () => {
  it('preserves case, spaces, punctuation, symbols and separators', () => {
    expect(normalizeResourcepart('Balcony')).toBe('Balcony');
    expect(normalizeResourcepart(' Foo Bar ')).toBe(' Foo Bar ');
    expect(normalizeResourcepart('a/b@c:d')).toBe('a/b@c:d');
    expect(normalizeResourcepart('♚ ♛ ☺')).toBe('♚ ♛ ☺');
    expect(normalizeResourcepart('Ⅳ²')).toBe('Ⅳ²');
  });

  it('maps non-ASCII spaces to U+0020', () => {
    expect(normalizeResourcepart('a\u00a0b\u3000c\u2003d')).toBe('a b c d');
  });

  it('does not map width or case', () => {
    expect(normalizeResourcepart('ＰＣ')).toBe('ＰＣ');
    expect(normalizeResourcepart('ΣΑΣ')).toBe('ΣΑΣ');
  });

  it('applies NFC', () => {
    expect(normalizeResourcepart('Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('refuses control characters', () => {
    expect(codeOf('a\u0000b')).toBe('bad-resourcepart');
    expect(codeOf('line\nbreak')).toBe('bad-resourcepart');
    expect(codeOf('tab\t')).toBe('bad-resourcepart');
    expect(codeOf('del\u007f')).toBe('bad-resourcepart');
    expect(codeOf('c1\u0085')).toBe('bad-resourcepart');
  });

  it('refuses default-ignorable, unassigned and noncharacter code points', () => {
    expect(codeOf('a\u200bb')).toBe('bad-resourcepart');
    expect(codeOf('a\u0378')).toBe('bad-resourcepart');
    expect(codeOf('a\ufffe')).toBe('bad-resourcepart');
    expect(codeOf('a\ud800')).toBe('bad-resourcepart'); // lone surrogate
  });

  it('limits the resourcepart to 1023 octets of UTF-8', () => {
    expect(normalizeResourcepart('r'.repeat(1023))).toHaveLength(1023);
    expect(codeOf('r'.repeat(1024))).toBe('too-long');
    expect(normalizeResourcepart('♚'.repeat(341))).toHaveLength(341); // 1023 octets
    expect(codeOf('♚'.repeat(342))).toBe('too-long');
  });

  it('refuses the empty string', () => {
    expect(codeOf('')).toBe('bad-resourcepart');
  });
});
