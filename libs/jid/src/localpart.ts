// Localparts (RFC 7622 section 3.3): the UsernameCaseMapped profile of
// RFC 8265 plus eight further prohibited characters.

import { JIDError } from './errors.js';
import { MAX_INPUT_UNITS, MAX_PART_OCTETS, utf8Length } from './limits.js';
import { PrecisError } from './precis/precis-error.js';
import { enforceUsernameCaseMapped } from './precis/profiles.js';

/** Printable ASCII other than the characters RFC 7622 section 3.3.1 prohibits. */
const SIMPLE_ASCII = /^[!#-%(-.0-9;=?A-~]+$/;
/** The characters RFC 7622 section 3.3.1 prohibits in addition to the profile. */
const PROHIBITED = /["&'/:<>@]/;

function tooLong(): JIDError {
  return new JIDError('too-long', `localpart is longer than ${MAX_PART_OCTETS} octets`);
}

/** Validates and normalizes a localpart; throws JIDError. */
export function normalizeLocalpart(s: string): string {
  if (s.length === 0) throw new JIDError('bad-localpart', 'localpart is empty');
  if (s.length > MAX_INPUT_UNITS) throw tooLong();
  // Fast path: printable ASCII is PVALID and only needs case mapping.
  if (SIMPLE_ASCII.test(s)) {
    if (s.length > MAX_PART_OCTETS) throw tooLong();
    return s.toLowerCase();
  }
  let normalized: string;
  try {
    normalized = enforceUsernameCaseMapped(s);
  } catch (err) {
    if (err instanceof PrecisError)
      throw new JIDError('bad-localpart', `localpart: ${err.message}`);
    throw err;
  }
  const prohibited = PROHIBITED.exec(normalized);
  if (prohibited) {
    throw new JIDError('bad-localpart', `localpart must not contain '${prohibited[0]}'`);
  }
  if (utf8Length(normalized) > MAX_PART_OCTETS) throw tooLong();
  return normalized;
}
