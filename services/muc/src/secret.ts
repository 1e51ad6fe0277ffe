/**
 * Constant-time comparison of a secret a client sent (a room password)
 * with the stored one.
 *
 * Both sides are hashed with SHA-256 first, so `timingSafeEqual` always
 * compares two 32-byte digests: neither the content nor the length of the
 * secret shows in the time the comparison takes. (libs/sasl has a
 * `constantTimeEqual` for equal-length SCRAM buffers; it is internal to
 * SASL and rejects different lengths early, so it does not fit here.)
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** True if `given` equals `expected`; `undefined` (no secret sent) never matches. */
export function secretEquals(given: string | undefined, expected: string): boolean {
  // Hash even when nothing was sent, so a missing password takes the same time.
  const same = timingSafeEqual(sha256(given ?? ''), sha256(expected));
  return same && given !== undefined;
}
