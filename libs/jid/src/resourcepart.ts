// Resourceparts (RFC 7622 section 3.4): the OpaqueString profile of RFC 8265.

import { JIDError } from './errors.js';
import { MAX_INPUT_UNITS, MAX_PART_OCTETS, utf8Length } from './limits.js';
import { PrecisError } from './precis/precis-error.js';
import { enforceOpaqueString } from './precis/profiles.js';

/** Space and printable ASCII: valid in FreeformClass and unchanged by the profile. */
const SIMPLE_ASCII = /^[ -~]+$/;

function tooLong(): JIDError {
  return new JIDError('too-long', `resourcepart is longer than ${MAX_PART_OCTETS} octets`);
}

/** Validates and normalizes a resourcepart; throws JIDError. */
export function normalizeResourcepart(s: string): string {
  if (s.length === 0) throw new JIDError('bad-resourcepart', 'resourcepart is empty');
  if (s.length > MAX_INPUT_UNITS) throw tooLong();
  if (SIMPLE_ASCII.test(s)) {
    if (s.length > MAX_PART_OCTETS) throw tooLong();
    return s;
  }
  let normalized: string;
  try {
    normalized = enforceOpaqueString(s);
  } catch (err) {
    if (err instanceof PrecisError) {
      throw new JIDError('bad-resourcepart', `resourcepart: ${err.message}`);
    }
    throw err;
  }
  if (utf8Length(normalized) > MAX_PART_OCTETS) throw tooLong();
  return normalized;
}
