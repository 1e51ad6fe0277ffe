// The "Bidi Rule" of RFC 5893 section 2, which RFC 8265 requires for the
// UsernameCaseMapped profile when a string contains right-to-left code points.

import {
  BIDI_AL,
  BIDI_AN,
  BIDI_BN,
  BIDI_CS,
  BIDI_EN,
  BIDI_ES,
  BIDI_ET,
  BIDI_NSM,
  BIDI_ON,
  BIDI_R,
} from '../unicode-data.js';

type BidiClass = 'L' | 'R' | 'AL' | 'AN' | 'EN' | 'ES' | 'CS' | 'ET' | 'ON' | 'BN' | 'NSM';

const CLASSES: ReadonlyArray<readonly [Exclude<BidiClass, 'L'>, RegExp]> = [
  ['R', BIDI_R],
  ['AL', BIDI_AL],
  ['AN', BIDI_AN],
  ['EN', BIDI_EN],
  ['ES', BIDI_ES],
  ['CS', BIDI_CS],
  ['ET', BIDI_ET],
  ['ON', BIDI_ON],
  ['BN', BIDI_BN],
  ['NSM', BIDI_NSM],
];

/**
 * Bidi_Class of a code point. Classes the rule never permits (B, S, WS and
 * the explicit embedding controls) are not tabulated and report as 'L'; they
 * are all disallowed by the PRECIS string classes before this rule runs.
 */
function bidiClass(ch: string): BidiClass {
  for (const [cls, re] of CLASSES) {
    if (re.test(ch)) return cls;
  }
  return 'L';
}

const RTL_ALLOWED = new Set<BidiClass>([
  'R',
  'AL',
  'AN',
  'EN',
  'ES',
  'CS',
  'ET',
  'ON',
  'BN',
  'NSM',
]);
const RTL_END = new Set<BidiClass>(['R', 'AL', 'EN', 'AN']);
const LTR_ALLOWED = new Set<BidiClass>(['L', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);
const LTR_END = new Set<BidiClass>(['L', 'EN']);

/** True when the string contains a code point of Bidi_Class R, AL or AN. */
export function hasRightToLeft(s: string): boolean {
  for (const ch of s) {
    if (BIDI_R.test(ch) || BIDI_AL.test(ch) || BIDI_AN.test(ch)) return true;
  }
  return false;
}

/** Whether s satisfies all six conditions of the Bidi Rule. */
export function satisfiesBidiRule(s: string): boolean {
  const classes = Array.from(s, bidiClass);
  const first = classes[0];
  if (first === undefined) return true;
  let last = classes.length - 1;
  while (last > 0 && classes[last] === 'NSM') last--;
  const end = classes[last] ?? first;
  if (first === 'R' || first === 'AL') {
    // Conditions 2, 3 and 4.
    if (!classes.every((cls) => RTL_ALLOWED.has(cls))) return false;
    if (!RTL_END.has(end)) return false;
    return !(classes.includes('EN') && classes.includes('AN'));
  }
  if (first === 'L') {
    // Conditions 5 and 6.
    return classes.every((cls) => LTR_ALLOWED.has(cls)) && LTR_END.has(end);
  }
  return false; // Condition 1.
}
