import { describe, expect, it } from 'vitest';
import { PrecisError } from './precis-error.js';
import { enforceOpaqueString, enforceUsernameCaseMapped } from './profiles.js';
import { mapWidth } from './width-mapping.js';

function failure(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(PrecisError);
    return (err as PrecisError).code;
  }
}

describe('width mapping', () => {
  it('maps fullwidth and halfwidth forms only', () => {
    expect(mapWidth('ＡＢＣ１２３')).toBe('ABC123');
    expect(mapWidth('\u3000')).toBe(' ');
    expect(mapWidth('ｱｲｳ')).toBe('アイウ');
    expect(mapWidth('ﾡ')).toBe('\u3131'); // halfwidth Hangul maps to compatibility jamo, not further
    expect(mapWidth('\uffe3')).toBe('\u00af'); // FULLWIDTH MACRON maps to MACRON, not to NFKD
    expect(mapWidth('abc')).toBe('abc');
    expect(mapWidth('\u2163')).toBe('\u2163');
  });
});

describe('UsernameCaseMapped (RFC 8265 section 3.3)', () => {
  it('applies width mapping, toLowerCase and NFC', () => {
    expect(enforceUsernameCaseMapped('ＡＢＣ')).toBe('abc');
    expect(enforceUsernameCaseMapped('A\u030a')).toBe('\u00e5');
    expect(enforceUsernameCaseMapped('\u0130')).toBe('i\u0307');
  });

  it('is idempotent on its output', () => {
    for (const s of ['Ünïcödé', 'ΣΑΣ', 'ＭｉＸ', 'Ωmega', 'ﾃｽﾄ']) {
      const once = enforceUsernameCaseMapped(s);
      expect(enforceUsernameCaseMapped(once)).toBe(once);
    }
  });

  it('refuses letters whose lowercase form has a compatibility mapping', () => {
    expect(failure(() => enforceUsernameCaseMapped('\u01c5'))).toBe('disallowed'); // Dž -> dž
  });

  it('refuses IdentifierClass-disallowed code points', () => {
    expect(failure(() => enforceUsernameCaseMapped('a b'))).toBe('disallowed');
    expect(failure(() => enforceUsernameCaseMapped('\ufb01'))).toBe('disallowed');
    expect(failure(() => enforceUsernameCaseMapped(''))).toBe('empty');
  });

  it('applies the CONTEXTJ rules', () => {
    // ZWNJ after a virama
    expect(enforceUsernameCaseMapped('\u0915\u094d\u200c\u0937')).toBe('\u0915\u094d\u200c\u0937');
    // ZWNJ between dual-joining Arabic letters, with a transparent mark before it
    expect(enforceUsernameCaseMapped('\u0628\u064e\u200c\u0628')).toBe('\u0628\u064e\u200c\u0628');
    // ZWNJ after a right-joining letter (ALEF) is refused
    expect(failure(() => enforceUsernameCaseMapped('\u0627\u200c\u0628'))).toBe('context');
    // ZWNJ or ZWJ in Latin text is refused
    expect(failure(() => enforceUsernameCaseMapped('a\u200cb'))).toBe('context');
    expect(failure(() => enforceUsernameCaseMapped('a\u200db'))).toBe('context');
  });

  it('applies the CONTEXTO rules', () => {
    expect(enforceUsernameCaseMapped('l\u00b7l')).toBe('l\u00b7l');
    expect(failure(() => enforceUsernameCaseMapped('\u00b7l'))).toBe('context');
    expect(enforceUsernameCaseMapped('\u0375\u03b1')).toBe('\u0375\u03b1');
    expect(failure(() => enforceUsernameCaseMapped('\u0375a'))).toBe('context');
    expect(enforceUsernameCaseMapped('\u05d0\u05f3')).toBe('\u05d0\u05f3');
    expect(failure(() => enforceUsernameCaseMapped('a\u05f3'))).toBe('context');
    expect(enforceUsernameCaseMapped('\u30ab\u30fb\u30ab')).toBe('\u30ab\u30fb\u30ab');
    expect(failure(() => enforceUsernameCaseMapped('a\u30fbb'))).toBe('context');
    expect(enforceUsernameCaseMapped('\u0628\u0661\u0662')).toBe('\u0628\u0661\u0662');
    expect(failure(() => enforceUsernameCaseMapped('\u0628\u0661\u06f2'))).toBe('context');
  });

  it('applies the Bidi Rule to strings with right-to-left code points', () => {
    expect(enforceUsernameCaseMapped('\u05d0\u05d1\u05d2')).toBe('\u05d0\u05d1\u05d2');
    expect(enforceUsernameCaseMapped('\u05d0\u05d1-1')).toBe('\u05d0\u05d1-1');
    expect(failure(() => enforceUsernameCaseMapped('a\u05d0'))).toBe('bidi');
    expect(failure(() => enforceUsernameCaseMapped('1\u05d0'))).toBe('bidi');
    expect(failure(() => enforceUsernameCaseMapped('\u05d0-'))).toBe('bidi');
    // EN and AN together in a right-to-left string
    expect(failure(() => enforceUsernameCaseMapped('\u0628\u0661\u0031'))).toBe('bidi');
  });
});

describe('OpaqueString (RFC 8265 section 4.2)', () => {
  it('maps non-ASCII spaces to ASCII space and keeps everything else', () => {
    expect(enforceOpaqueString('Correct\u2009Horse\u00a0Battery')).toBe('Correct Horse Battery');
    expect(enforceOpaqueString('ＡＢＣ ♚ Ⅳ')).toBe('ＡＢＣ ♚ Ⅳ');
    expect(enforceOpaqueString('ΣΑΣ')).toBe('ΣΑΣ');
  });

  it('applies NFC', () => {
    expect(enforceOpaqueString('A\u030a')).toBe('\u00c5');
  });

  it('refuses FreeformClass-disallowed code points', () => {
    expect(failure(() => enforceOpaqueString('a\u0007'))).toBe('disallowed');
    expect(failure(() => enforceOpaqueString('a\u200b'))).toBe('disallowed');
    expect(failure(() => enforceOpaqueString('a\u200cb'))).toBe('context');
    expect(failure(() => enforceOpaqueString(''))).toBe('empty');
  });

  it('does not apply the Bidi Rule', () => {
    expect(enforceOpaqueString('a\u05d0')).toBe('a\u05d0');
  });
});
