/**
 * Signed PUT slots: the registry node that gives a slot and the upload
 * service that takes the file share nothing but a secret. The PUT carries
 * `Authorization: Bearer v1.<expires>.<mac>` where `mac` is
 * HMAC-SHA256(secret, "v1\nPUT\n<key>\n<size>\n<content type>\n<expires>")
 * in base64url, `<key>` the object key, `<expires>` seconds since the epoch.
 * Any node holding the secret checks it with no shared state: the size is
 * the request's Content-Length, the type its Content-Type, the key its path.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/** What a PUT signature covers. */
export interface PutGrant {
  /** Object key `<user>/<slot>/<filename>` (filename not encoded). */
  key: string;
  size: number;
  contentType: string;
  /** Seconds since the epoch after which the PUT is refused. */
  expires: number;
}

function mac(secret: string, g: PutGrant): Buffer {
  return createHmac('sha256', secret)
    .update([VERSION, 'PUT', g.key, String(g.size), g.contentType, String(g.expires)].join('\n'))
    .digest();
}

/** The value of the Authorization header of a PUT slot. */
export function signPut(secret: string, g: PutGrant): string {
  return `Bearer ${VERSION}.${g.expires}.${mac(secret, g).toString('base64url')}`;
}

export type PutCheck =
  { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks the Authorization header of a PUT against what the request
 * carries (`expires` comes from the header). `now` in ms.
 */
export function verifyPut(
  secret: string,
  authorization: string | undefined,
  req: Omit<PutGrant, 'expires'>,
  now: number = Date.now(),
): PutCheck {
  if (authorization === undefined) return { ok: false, reason: 'missing' };
  const m = /^Bearer v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(authorization.trim());
  if (!m) return { ok: false, reason: 'malformed' };
  const expires = Number(m[1]);
  const given = Buffer.from(m[2]!, 'base64url');
  const want = mac(secret, { ...req, expires });
  if (given.length !== want.length || !timingSafeEqual(given, want))
    return { ok: false, reason: 'mismatch' };
  if (now > expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/**
 * The `<user>` part of the object keys of a bare JID: a keyed hash, so a
 * URL names its uploader to nobody without the secret, and stable as long
 * as the secret is (changing the secret starts new quota accounts).
 */
export function userKey(secret: string, bareJid: string): string {
  return createHmac('sha256', secret)
    .update(`user\n${bareJid}`)
    .digest()
    .subarray(0, 15)
    .toString('base64url');
}
