// PRECIS profiles of RFC 8265 used by XMPP addresses (RFC 7622):
// UsernameCaseMapped (section 3.3) and OpaqueString (section 4.2).

import { hasRightToLeft, satisfiesBidiRule } from './bidi-rule.js';
import { PrecisError } from './precis-error.js';
import { enforceStringClass } from './string-classes.js';
import { mapWidth } from './width-mapping.js';

/**
 * RFC 8264 section 7: the rules are re-applied until the output is stable;
 * a string that is still changing after three additional applications is refused.
 */
const MAX_APPLICATIONS = 4;

function untilStable(input: string, rules: (s: string) => string): string {
  let current = input;
  for (let i = 0; i < MAX_APPLICATIONS; i++) {
    const next = rules(current);
    if (next === current) return next;
    current = next;
  }
  throw new PrecisError('unstable', 'string does not stabilize under the profile rules');
}

function usernameCaseMappedRules(s: string): string {
  // 1. width mapping, 2. no additional mapping, 3. case mapping, 4. NFC
  return mapWidth(s).toLowerCase().normalize('NFC');
}

/** Enforces the UsernameCaseMapped profile (RFC 8265 section 3.3); throws PrecisError. */
export function enforceUsernameCaseMapped(input: string): string {
  const s = untilStable(input, usernameCaseMappedRules);
  if (s.length === 0) throw new PrecisError('empty', 'string is empty');
  enforceStringClass(s, 'IdentifierClass');
  // 5. directionality: the Bidi Rule applies to strings with right-to-left code points.
  // (Checked after the string class so that disallowed code points are reported as such.)
  if (hasRightToLeft(s) && !satisfiesBidiRule(s)) {
    throw new PrecisError('bidi', 'string violates the Bidi Rule (RFC 5893)');
  }
  return s;
}

const NON_ASCII_SPACE = /(?! )\p{Zs}/gu;

function opaqueStringRules(s: string): string {
  // 1. no width mapping, 2. non-ASCII spaces become U+0020, 3. no case mapping, 4. NFC
  return s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
}

/** Enforces the OpaqueString profile (RFC 8265 section 4.2); throws PrecisError. */
export function enforceOpaqueString(input: string): string {
  const s = untilStable(input, opaqueStringRules);
  if (s.length === 0) throw new PrecisError('empty', 'string is empty');
  // 5. no directionality rule.
  enforceStringClass(s, 'FreeformClass');
  return s;
}
