import { saslprep } from '@mongodb-js/saslprep';
import { SaslError } from './errors.js';

/**
 * SASLprep (RFC 4013) of a username, treated as a query string (unassigned
 * code points allowed), as RFC 5802 section 5.1 and RFC 4616 section 2 ask.
 * Throws SaslError('invalid-username') when preparation fails or yields ''.
 */
export function prepareUsername(username: string): string {
  return prepare(username, true, 'invalid-username');
}

/**
 * SASLprep of a password. `stored` selects the stored-string profile
 * (unassigned code points prohibited), used when deriving credentials
 * (RFC 5802 section 2.2, Normalize); otherwise the query profile.
 * Throws SaslError('invalid-password') when preparation fails or yields ''.
 */
export function preparePassword(password: string, stored: boolean): string {
  return prepare(password, !stored, 'invalid-password');
}

function prepare(
  value: string,
  allowUnassigned: boolean,
  code: 'invalid-username' | 'invalid-password',
): string {
  let prepared: string;
  try {
    prepared = saslprep(value, { allowUnassigned });
  } catch (err) {
    throw new SaslError(code, `${code.slice(8)} fails SASLprep`, { cause: err });
  }
  if (prepared.length === 0) throw new SaslError(code, `${code.slice(8)} is empty`);
  return prepared;
}
