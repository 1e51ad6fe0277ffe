// PRECIS derived property values (RFC 8264 sections 8 and 9).
//
// Categories are evaluated with Unicode property escapes of the JavaScript
// engine, so they follow the engine's Unicode version. The one property JS
// regular expressions do not expose (Hangul_Syllable_Type) comes from the
// generated table in ../unicode-data.ts.

import { OLD_HANGUL_JAMO } from '../unicode-data.js';

/**
 * Derived property of a code point. 'ID_DIS_OR_FREE_PVAL' is the RFC's
 * "ID_DIS or FREE_PVAL": disallowed in IdentifierClass, valid in FreeformClass.
 */
export type DerivedProperty =
  'PVALID' | 'ID_DIS_OR_FREE_PVAL' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' | 'UNASSIGNED';

/** (A) LetterDigits: General_Category Ll, Lu, Lo, Nd, Lm, Mn, Mc. */
const LETTER_DIGITS = /[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]/u;
/** (R) OtherLetterDigits: General_Category Lt, Nl, No, Me. */
const OTHER_LETTER_DIGITS = /[\p{Lt}\p{Nl}\p{No}\p{Me}]/u;
/** (H) JoinControl. */
const JOIN_CONTROL = /\p{Join_Control}/u;
/** (L) Controls. */
const CONTROLS = /\p{Cc}/u;
/** (M) PrecisIgnorableProperties. */
const PRECIS_IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
/** (N) Spaces. */
const SPACES = /\p{Zs}/u;
/** (O) Symbols. */
const SYMBOLS = /[\p{Sm}\p{Sc}\p{Sk}\p{So}]/u;
/** (P) Punctuation. */
const PUNCTUATION = /\p{P}/u;
const CN = /\p{Cn}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

/** (F) Exceptions, as listed in RFC 5892 section 2.6 and reused by RFC 8264 section 9.6. */
const EXCEPTIONS: ReadonlyMap<number, DerivedProperty> = new Map<number, DerivedProperty>([
  // PVALID
  [0x00df, 'PVALID'], // LATIN SMALL LETTER SHARP S
  [0x03c2, 'PVALID'], // GREEK SMALL LETTER FINAL SIGMA
  [0x06fd, 'PVALID'], // ARABIC SIGN SINDHI AMPERSAND
  [0x06fe, 'PVALID'], // ARABIC SIGN SINDHI POSTPOSITION MEN
  [0x0f0b, 'PVALID'], // TIBETAN MARK INTERSYLLABIC TSHEG
  [0x3007, 'PVALID'], // IDEOGRAPHIC NUMBER ZERO
  // CONTEXTO
  [0x00b7, 'CONTEXTO'], // MIDDLE DOT
  [0x0375, 'CONTEXTO'], // GREEK LOWER NUMERAL SIGN (KERAIA)
  [0x05f3, 'CONTEXTO'], // HEBREW PUNCTUATION GERESH
  [0x05f4, 'CONTEXTO'], // HEBREW PUNCTUATION GERSHAYIM
  [0x30fb, 'CONTEXTO'], // KATAKANA MIDDLE DOT
  ...range(0x0660, 0x0669, 'CONTEXTO'), // ARABIC-INDIC DIGITS
  ...range(0x06f0, 0x06f9, 'CONTEXTO'), // EXTENDED ARABIC-INDIC DIGITS
  // DISALLOWED
  [0x0640, 'DISALLOWED'], // ARABIC TATWEEL
  [0x07fa, 'DISALLOWED'], // NKO LAJANYALAN
  [0x302e, 'DISALLOWED'], // HANGUL SINGLE DOT TONE MARK
  [0x302f, 'DISALLOWED'], // HANGUL DOUBLE DOT TONE MARK
  ...range(0x3031, 0x3035, 'DISALLOWED'), // VERTICAL KANA REPEAT MARKS
  [0x303b, 'DISALLOWED'], // VERTICAL IDEOGRAPHIC ITERATION MARK
]);

function range(
  first: number,
  last: number,
  value: DerivedProperty,
): Array<[number, DerivedProperty]> {
  const entries: Array<[number, DerivedProperty]> = [];
  for (let cp = first; cp <= last; cp++) entries.push([cp, value]);
  return entries;
}

/** (J) Unassigned: General_Category Cn, except noncharacters. */
export function isUnassigned(ch: string): boolean {
  return CN.test(ch) && !NONCHARACTER.test(ch);
}

/** (Q) HasCompat: the code point changes under NFKC. */
export function hasCompat(ch: string): boolean {
  return ch.normalize('NFKC') !== ch;
}

/** Computes the derived property with the algorithm of RFC 8264 section 8. */
function compute(cp: number): DerivedProperty {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  // (G) BackwardCompatible is currently empty.
  const ch = String.fromCodePoint(cp);
  if (isUnassigned(ch)) return 'UNASSIGNED';
  if (cp >= 0x21 && cp <= 0x7e) return 'PVALID'; // (K) ASCII7
  if (JOIN_CONTROL.test(ch)) return 'CONTEXTJ';
  if (OLD_HANGUL_JAMO.test(ch)) return 'DISALLOWED';
  if (PRECIS_IGNORABLE.test(ch)) return 'DISALLOWED';
  if (CONTROLS.test(ch)) return 'DISALLOWED';
  if (hasCompat(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (LETTER_DIGITS.test(ch)) return 'PVALID';
  if (OTHER_LETTER_DIGITS.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (SPACES.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (SYMBOLS.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (PUNCTUATION.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  return 'DISALLOWED';
}

const MEMO_LIMIT = 8192;
const memo = new Map<number, DerivedProperty>();

/** The PRECIS derived property of a code point (memoized). */
export function derivedProperty(cp: number): DerivedProperty {
  let value = memo.get(cp);
  if (value === undefined) {
    value = compute(cp);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(cp, value);
  }
  return value;
}
