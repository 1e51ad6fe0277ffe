// Contextual rules for CONTEXTJ and CONTEXTO code points (RFC 5892
// Appendix A, referenced by RFC 8264 section 9.6 and 9.8).

import { JOINING_D, JOINING_L, JOINING_R, JOINING_T, VIRAMA } from '../unicode-data.js';

const GREEK = /\p{Script=Greek}/u;
const HEBREW = /\p{Script=Hebrew}/u;
const HIRAGANA_KATAKANA_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

function test(re: RegExp, cp: number | undefined): boolean {
  return cp !== undefined && re.test(String.fromCodePoint(cp));
}

function isVirama(cp: number | undefined): boolean {
  return test(VIRAMA, cp);
}

/** ZERO WIDTH NON-JOINER (RFC 5892 A.1). */
function zeroWidthNonJoiner(cps: readonly number[], i: number): boolean {
  if (isVirama(cps[i - 1])) return true;
  // (Joining_Type:{L,D})(Joining_Type:T)* ZWNJ (Joining_Type:T)*(Joining_Type:{R,D})
  let before = i - 1;
  while (before >= 0 && test(JOINING_T, cps[before])) before--;
  let after = i + 1;
  while (after < cps.length && test(JOINING_T, cps[after])) after++;
  const left = cps[before];
  const right = cps[after];
  return (
    (test(JOINING_L, left) || test(JOINING_D, left)) &&
    (test(JOINING_R, right) || test(JOINING_D, right))
  );
}

/**
 * Whether the CONTEXTJ code point at index i of cps satisfies its rule.
 * Code points without a rule fail.
 */
export function contextJAllows(cps: readonly number[], i: number): boolean {
  switch (cps[i]) {
    case 0x200c:
      return zeroWidthNonJoiner(cps, i);
    case 0x200d: // ZERO WIDTH JOINER (RFC 5892 A.2)
      return isVirama(cps[i - 1]);
    default:
      return false;
  }
}

function containsRange(cps: readonly number[], first: number, last: number): boolean {
  return cps.some((cp) => cp >= first && cp <= last);
}

/**
 * Whether the CONTEXTO code point at index i of cps satisfies its rule.
 * Code points without a rule fail.
 */
export function contextOAllows(cps: readonly number[], i: number): boolean {
  const cp = cps[i];
  if (cp === undefined) return false;
  if (cp >= 0x0660 && cp <= 0x0669) return !containsRange(cps, 0x06f0, 0x06f9); // A.8
  if (cp >= 0x06f0 && cp <= 0x06f9) return !containsRange(cps, 0x0660, 0x0669); // A.9
  switch (cp) {
    case 0x00b7: // MIDDLE DOT (A.3): only between two 'l'
      return cps[i - 1] === 0x6c && cps[i + 1] === 0x6c;
    case 0x0375: // GREEK LOWER NUMERAL SIGN (A.4): followed by Greek
      return test(GREEK, cps[i + 1]);
    case 0x05f3: // HEBREW PUNCTUATION GERESH (A.5): preceded by Hebrew
    case 0x05f4: // HEBREW PUNCTUATION GERSHAYIM (A.6)
      return test(HEBREW, cps[i - 1]);
    case 0x30fb: // KATAKANA MIDDLE DOT (A.7): with Hiragana, Katakana or Han
      return cps.some((other) => test(HIRAGANA_KATAKANA_HAN, other));
    default:
      return false;
  }
}
