import { describe, expect, it } from 'vitest';
import { derivedProperty, hasCompat, isUnassigned } from './code-point-properties.js';

describe('PRECIS derived property (RFC 8264 section 8)', () => {
  it.each<[string, number, string]>([
    // Exceptions (F)
    ['SHARP S', 0x00df, 'PVALID'],
    ['FINAL SIGMA', 0x03c2, 'PVALID'],
    ['IDEOGRAPHIC NUMBER ZERO', 0x3007, 'PVALID'],
    ['MIDDLE DOT', 0x00b7, 'CONTEXTO'],
    ['KATAKANA MIDDLE DOT', 0x30fb, 'CONTEXTO'],
    ['ARABIC-INDIC DIGIT ZERO', 0x0660, 'CONTEXTO'],
    ['EXTENDED ARABIC-INDIC DIGIT NINE', 0x06f9, 'CONTEXTO'],
    ['ARABIC TATWEEL', 0x0640, 'DISALLOWED'],
    ['VERTICAL KANA REPEAT MARK', 0x3031, 'DISALLOWED'],
    // Unassigned (J)
    ['unassigned U+0378', 0x0378, 'UNASSIGNED'],
    // ASCII7 (K)
    ['exclamation mark', 0x21, 'PVALID'],
    ['tilde', 0x7e, 'PVALID'],
    ['capital A', 0x41, 'PVALID'],
    // JoinControl (H)
    ['ZWNJ', 0x200c, 'CONTEXTJ'],
    ['ZWJ', 0x200d, 'CONTEXTJ'],
    // OldHangulJamo (I)
    ['HANGUL CHOSEONG KIYEOK', 0x1100, 'DISALLOWED'],
    ['HANGUL JUNGSEONG A', 0x1161, 'DISALLOWED'],
    // PrecisIgnorableProperties (M)
    ['SOFT HYPHEN', 0x00ad, 'DISALLOWED'],
    ['noncharacter U+FDD0', 0xfdd0, 'DISALLOWED'],
    ['noncharacter U+10FFFF', 0x10ffff, 'DISALLOWED'],
    // Controls (L)
    ['NUL', 0x00, 'DISALLOWED'],
    ['DEL', 0x7f, 'DISALLOWED'],
    // HasCompat (Q)
    ['NO-BREAK SPACE', 0x00a0, 'ID_DIS_OR_FREE_PVAL'],
    ['SUPERSCRIPT TWO', 0x00b2, 'ID_DIS_OR_FREE_PVAL'],
    ['FULLWIDTH A', 0xff21, 'ID_DIS_OR_FREE_PVAL'],
    ['ROMAN NUMERAL FOUR', 0x2163, 'ID_DIS_OR_FREE_PVAL'],
    // LetterDigits (A)
    ['e acute', 0x00e9, 'PVALID'],
    ['Greek pi', 0x03c0, 'PVALID'],
    ['CJK ideograph', 0x4e2d, 'PVALID'],
    ['combining acute (Mn)', 0x0301, 'PVALID'],
    ['Devanagari digit (Nd)', 0x0967, 'PVALID'],
    ['Hangul syllable', 0xac00, 'PVALID'],
    // OtherLetterDigits (R)
    ['ENCLOSING CIRCLE (Me)', 0x20dd, 'ID_DIS_OR_FREE_PVAL'],
    ['Gothic numeral (Nl)', 0x1034a, 'ID_DIS_OR_FREE_PVAL'],
    // Spaces (N), Symbols (O), Punctuation (P)
    ['SPACE', 0x20, 'ID_DIS_OR_FREE_PVAL'],
    ['OGHAM SPACE MARK', 0x1680, 'ID_DIS_OR_FREE_PVAL'],
    ['BLACK CHESS KING', 0x265a, 'ID_DIS_OR_FREE_PVAL'],
    ['EURO SIGN', 0x20ac, 'ID_DIS_OR_FREE_PVAL'],
    ['INVERTED QUESTION MARK', 0x00bf, 'ID_DIS_OR_FREE_PVAL'],
    // Everything else
    ['private use', 0xe000, 'DISALLOWED'],
    ['lone surrogate', 0xd800, 'DISALLOWED'],
    ['LINE SEPARATOR (Zl)', 0x2028, 'DISALLOWED'],
  ])('%s is %s', (_name, cp, expected) => {
    expect(derivedProperty(cp)).toBe(expected);
  });
});

describe('category helpers', () => {
  it('isUnassigned excludes noncharacters', () => {
    expect(isUnassigned('\u0378')).toBe(true);
    expect(isUnassigned('\ufdd0')).toBe(false);
    expect(isUnassigned('a')).toBe(false);
  });

  it('hasCompat is true when NFKC changes the code point', () => {
    expect(hasCompat('\ufb01')).toBe(true); // LATIN SMALL LIGATURE FI
    expect(hasCompat('\u00c5')).toBe(false);
  });
});
