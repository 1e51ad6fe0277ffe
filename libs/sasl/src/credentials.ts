import { randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { SaslError } from './errors.js';
import { preparePassword } from './saslprep.js';
import type { ScramHash } from './scram-crypto.js';
import { constantTimeEqual, hi, keysFromSaltedPassword } from './scram-crypto.js';
import type { VerifiedPasswords } from './verified-passwords.js';

/**
 * SCRAM salted credentials for one hash (RFC 5802 section 3). Binary values
 * are base64. Structurally identical to the type of the same name in the
 * store contracts.
 */
export interface ScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

/** What the account store keeps instead of a password. */
export interface StoredCredentials {
  'SCRAM-SHA-1': ScramCredential;
  'SCRAM-SHA-256': ScramCredential;
}

export interface DeriveOptions {
  /** PBKDF2 iteration count; default {@link DEFAULT_ITERATIONS}. */
  iterations?: number;
  /** Salt for both hashes; default 16 fresh random bytes per hash. */
  salt?: Buffer;
}

/** RFC 7677 section 4 asks for at least 4096 iterations. */
export const DEFAULT_ITERATIONS = 4096;
/** Length in bytes of generated salts. */
export const SALT_LENGTH = 16;

/** Derives one hash's credential from an already SASLprep'ed password. */
export async function deriveScramCredential(
  hash: ScramHash,
  preparedPassword: string,
  salt: Buffer,
  iterations: number,
): Promise<ScramCredential> {
  const salted = await hi(hash, preparedPassword, salt, iterations);
  const { storedKey, serverKey } = keysFromSaltedPassword(hash, salted);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

/**
 * Derives the stored SCRAM-SHA-1 and SCRAM-SHA-256 credentials of a password.
 * The password is SASLprep'ed as a stored string. Throws
 * SaslError('invalid-password') for passwords that are empty or fail
 * SASLprep, SaslError('invalid-argument') for bad options.
 */
export async function deriveCredentials(
  password: string,
  opts: DeriveOptions = {},
): Promise<StoredCredentials> {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new SaslError('invalid-argument', `iterations must be a positive integer`);
  }
  if (opts.salt !== undefined && opts.salt.length === 0) {
    throw new SaslError('invalid-argument', 'salt must not be empty');
  }
  const prepared = preparePassword(password, true);
  const [sha1, sha256] = await Promise.all([
    deriveScramCredential('SHA-1', prepared, opts.salt ?? randomBytes(SALT_LENGTH), iterations),
    deriveScramCredential('SHA-256', prepared, opts.salt ?? randomBytes(SALT_LENGTH), iterations),
  ]);
  return { 'SCRAM-SHA-1': sha1, 'SCRAM-SHA-256': sha256 };
}

export interface VerifyOptions {
  /**
   * Remembers successes (see verified-passwords.ts for what is kept and why it
   * is not a password equivalent): a password verified for `username` within
   * the cache's lifetime is accepted without another PBKDF2. Failures always
   * run the full PBKDF2.
   */
  cache?: VerifiedPasswords;
  /** The account the credentials belong to; needed with `cache`. */
  username?: string;
}

/**
 * Checks a plaintext password (as received by PLAIN) against stored
 * credentials: recomputes the SCRAM-SHA-256 StoredKey and compares in
 * constant time. Returns false for passwords that fail SASLprep and for
 * malformed credentials.
 */
export async function verifyPassword(
  creds: StoredCredentials,
  password: string,
  opts: VerifyOptions = {},
): Promise<boolean> {
  const cred = creds['SCRAM-SHA-256'];
  const salt = decodeBase64Strict(cred.salt);
  const storedKey = decodeBase64Strict(cred.storedKey);
  if (!salt || !storedKey || !Number.isSafeInteger(cred.iterations) || cred.iterations < 1) {
    return false;
  }
  let prepared: string;
  try {
    prepared = preparePassword(password, false);
  } catch {
    return false;
  }
  const { cache, username } = opts;
  const tag =
    cache !== undefined && username !== undefined ? cache.tag(username, cred, prepared) : undefined;
  if (tag !== undefined && cache!.has(tag)) return true;
  const salted = await hi('SHA-256', prepared, salt, cred.iterations);
  const ok = constantTimeEqual(keysFromSaltedPassword('SHA-256', salted).storedKey, storedKey);
  if (ok && tag !== undefined) cache!.remember(tag);
  return ok;
}
