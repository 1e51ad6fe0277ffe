import { describe, expect, it } from 'vitest';
import { signPut, userKey, verifyPut } from './signing.js';

const SECRET = 'test-secret';
const grant = { key: 'u/s/cat.jpg', size: 1234, contentType: 'image/jpeg', expires: 2_000_000_000 };
const req = { key: grant.key, size: grant.size, contentType: grant.contentType };
const before = grant.expires * 1000 - 1;

describe('PUT slot signatures', () => {
  it('known answer: the header for a fixed grant and secret', () => {
    // Pins the signed text ("v1\nPUT\n<key>\n<size>\n<type>\n<expires>", HMAC-SHA256,
    // base64url; computed with Python's hmac): a change breaks slots given by nodes
    // running another version.
    expect(signPut(SECRET, grant)).toBe(
      'Bearer v1.2000000000._6pQqJ6rmbrzTNBSf3FFbuqd7ZxBWg-CA3xrLKUKU7Y',
    );
  });

  it('accepts the request it was made for until it expires', () => {
    const auth = signPut(SECRET, grant);
    expect(verifyPut(SECRET, auth, req, before)).toEqual({ ok: true });
    expect(verifyPut(SECRET, auth, req, grant.expires * 1000 + 1)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses another path, size, content type, secret or expiry', () => {
    const auth = signPut(SECRET, grant);
    const bad = (r: Partial<typeof req>, secret = SECRET, a = auth) =>
      verifyPut(secret, a, { ...req, ...r }, before);
    expect(bad({ key: 'u/s/dog.jpg' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(bad({ size: 1235 })).toEqual({ ok: false, reason: 'mismatch' });
    expect(bad({ contentType: 'text/html' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(bad({}, 'other-secret')).toEqual({ ok: false, reason: 'mismatch' });
    const later = auth.replace('v1.2000000000.', 'v1.2000000999.');
    expect(bad({}, SECRET, later)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('tells a missing header from a malformed one', () => {
    expect(verifyPut(SECRET, undefined, req, before)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyPut(SECRET, 'Basic dXNlcjpwYXNz', req, before)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyPut(SECRET, 'Bearer v1.x.y', req, before)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('user keys: stable per JID and secret, URL-safe, unlinkable without the secret', () => {
    const a = userKey(SECRET, 'alice@example.org');
    expect(a).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(userKey(SECRET, 'alice@example.org')).toBe(a);
    expect(userKey(SECRET, 'bob@example.org')).not.toBe(a);
    expect(userKey('other', 'alice@example.org')).not.toBe(a);
  });
});
