import { describe, expect, it } from 'vitest';
import { JIDError } from './errors.js';
import { normalizeLocalpart } from './localpart.js';

function codeOf(s: string): string | undefined {
  try {
    normalizeLocalpart(s);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(JIDError);
    return (err as JIDError).code;
  }
}

describe('normalizeLocalpart', () => {
  it('maps case with toLowerCase', () => {
    expect(normalizeLocalpart('Juliet')).toBe('juliet');
    expect(normalizeLocalpart('ÉLODIE')).toBe('élodie');
    expect(normalizeLocalpart('ΠΑΝΤΑ')).toBe('παντα');
  });

  it('maps fullwidth and halfwidth characters to their decompositions', () => {
    expect(normalizeLocalpart('ＪＵＬＩＥＴ')).toBe('juliet');
    expect(normalizeLocalpart('ﾃｽﾄ')).toBe('テスト');
    expect(normalizeLocalpart('ｶﾞ')).toBe('ガ'); // width mapping, then NFC composes the voiced mark
  });

  it('refuses fullwidth forms of the prohibited characters', () => {
    expect(codeOf('a＠b')).toBe('bad-localpart');
    expect(codeOf('a：b')).toBe('bad-localpart');
  });

  it('applies NFC', () => {
    expect(normalizeLocalpart('e\u0301')).toBe('\u00e9');
    expect(normalizeLocalpart('\u212b')).toBe('\u00e5'); // ANGSTROM SIGN -> å
  });

  it('keeps ß and final sigma, which toLowerCase does not fold', () => {
    expect(normalizeLocalpart('fußball')).toBe('fußball');
    expect(normalizeLocalpart('ς')).toBe('ς');
    expect(normalizeLocalpart('ẞ')).toBe('ß');
    // Unicode toLowerCase applies the Final_Sigma condition.
    expect(normalizeLocalpart('ΣΑΣ')).toBe('σας');
  });

  it.each(['"', '&', "'", '/', ':', '<', '>', '@'])(
    'refuses the RFC 7622 prohibited character %s',
    (ch) => {
      expect(codeOf(`a${ch}b`)).toBe('bad-localpart');
    },
  );

  it('allows the other printable ASCII characters', () => {
    expect(normalizeLocalpart('!#$%()*+,-.;=?[\\]^_`{|}~')).toBe('!#$%()*+,-.;=?[\\]^_`{|}~');
  });

  it('composes conjoining jamo into a syllable before validating', () => {
    expect(normalizeLocalpart('\u1100\u1161')).toBe('\uac00');
  });

  it('refuses IdentifierClass-disallowed characters', () => {
    expect(codeOf('a b')).toBe('bad-localpart'); // space
    expect(codeOf('a\u00a0b')).toBe('bad-localpart'); // non-ASCII space
    expect(codeOf('a\tb')).toBe('bad-localpart'); // control
    expect(codeOf('♚')).toBe('bad-localpart'); // symbol
    expect(codeOf('a\u00bfb')).toBe('bad-localpart'); // punctuation (¿)
    expect(codeOf('x\u00b2')).toBe('bad-localpart'); // has a compatibility mapping
    expect(codeOf('a\u00adb')).toBe('bad-localpart'); // default ignorable
    expect(codeOf('a\u1100')).toBe('bad-localpart'); // conjoining jamo (old Hangul)
    expect(codeOf('a\u0378')).toBe('bad-localpart'); // unassigned
    expect(codeOf('a\ue000')).toBe('bad-localpart'); // private use
  });

  it('enforces the contextual rules', () => {
    expect(normalizeLocalpart('l·l')).toBe('l·l');
    expect(codeOf('a·b')).toBe('bad-localpart');
    expect(normalizeLocalpart('\u0915\u094d\u200d\u0937')).toBe('\u0915\u094d\u200d\u0937');
    expect(codeOf('a\u200db')).toBe('bad-localpart');
  });

  it('enforces the Bidi Rule on right-to-left strings', () => {
    expect(normalizeLocalpart('\u05e9\u05dc\u05d5\u05dd')).toBe('\u05e9\u05dc\u05d5\u05dd');
    expect(normalizeLocalpart('\u0633\u0644\u0627\u0645')).toBe('\u0633\u0644\u0627\u0645');
    expect(codeOf('abc\u05d0')).toBe('bad-localpart');
    expect(codeOf('\u05d0\u05d1-')).toBe('bad-localpart');
  });

  it('limits the localpart to 1023 octets of UTF-8', () => {
    expect(normalizeLocalpart('a'.repeat(1023))).toHaveLength(1023);
    expect(codeOf('a'.repeat(1024))).toBe('too-long');
    expect(normalizeLocalpart('é'.repeat(511))).toHaveLength(511); // 1022 octets
    expect(codeOf('é'.repeat(512))).toBe('too-long'); // 1024 octets
    expect(codeOf('x'.repeat(100_000))).toBe('too-long');
  });

  it('refuses the empty string', () => {
    expect(codeOf('')).toBe('bad-localpart');
  });
});
