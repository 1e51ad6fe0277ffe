/**
 * Server Dialback keys, XEP-0185 section 3 (https://xmpp.org/extensions/xep-0185.html):
 * key = HEX( HMAC-SHA256( HEX(SHA256(secret)), receiving + ' ' + originating + ' ' + streamId ) ).
 * The HMAC key is the lowercase hex form of the secret's SHA-256 digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The dialback key the originating server sends in `<db:result/>` (and the authoritative server recomputes). */
export function dialbackKey(
  secret: string,
  receiving: string,
  originating: string,
  streamId: string,
): string {
  const hmacKey = createHash('sha256').update(secret, 'utf8').digest('hex');
  return createHmac('sha256', hmacKey)
    .update(`${receiving} ${originating} ${streamId}`, 'utf8')
    .digest('hex');
}

/** Constant-time comparison of a received key with the expected one. */
export function dialbackKeyMatches(
  secret: string,
  receiving: string,
  originating: string,
  streamId: string,
  received: string,
): boolean {
  const expected = Buffer.from(dialbackKey(secret, receiving, originating, streamId), 'utf8');
  const got = Buffer.from(received.trim().toLowerCase(), 'utf8');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
