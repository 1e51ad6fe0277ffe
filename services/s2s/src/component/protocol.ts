/**
 * The wire details of XEP-0114 (Jabber Component Protocol, `accept`
 * flavour): the stream header we answer with, the handshake digest and its
 * check, and moving a stanza between the component's namespace and the one
 * the rest of the server carries (`jabber:client`, as the gateway publishes).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NS_CLIENT, NS_STREAM, restampStanza } from '@parley/stanza';
import { escapeAttr } from '@parley/xml';
import type { Element } from '@parley/xml';

/** Content namespace of a component stream the server accepts (XEP-0114 section 3). */
export const NS_COMPONENT_ACCEPT = 'jabber:component:accept';

/** A fresh, unpredictable stream id: the salt of the handshake digest. */
export function newComponentStreamId(): string {
  return randomBytes(16).toString('hex');
}

/** `hex(sha1(streamId + secret))` in lower case, the handshake's character data (XEP-0114 section 3). */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1')
    .update(streamId + secret, 'utf8')
    .digest('hex');
}

/**
 * Whether `offered` (the handshake's character data) is the digest of the
 * stream id and the secret. Surrounding whitespace and upper-case hex are
 * tolerated; the comparison takes the same time wherever the digests differ.
 */
export function handshakeMatches(offered: string, streamId: string, secret: string): boolean {
  const expected = Buffer.from(handshakeDigest(streamId, secret), 'utf8');
  const got = Buffer.from(offered.trim().toLowerCase(), 'utf8');
  // Both are 40 hex digits when the component did it right; a length
  // mismatch tells an attacker nothing about the secret.
  if (got.length !== expected.length) return false;
  return timingSafeEqual(got, expected);
}

/**
 * Our stream header: `from` is the component's domain once it is known to
 * be one we serve (omitted when answering a header we refuse).
 */
export function componentStreamHeader(id: string, from: string | undefined): string {
  const fromAttr = from === undefined ? '' : ` from="${escapeAttr(from)}"`;
  return (
    `<?xml version='1.0'?><stream:stream xmlns:stream="${NS_STREAM}" xmlns="${NS_COMPONENT_ACCEPT}"` +
    ` id="${id}"${fromAttr}>`
  );
}

/**
 * The namespace a stanza from a component travels in: `jabber:client`, like
 * every stanza a gateway publishes, so that consumers (registry, MUC, S2S)
 * recognise it. Children that inherited the component namespace follow the
 * top-level declaration.
 */
export function fromComponentNamespace(el: Element): void {
  el.setAttr('xmlns', NS_CLIENT);
}

/**
 * A serialized stanza (as carried on the bus, usually in `jabber:client`)
 * rewritten for a component stream: its top-level namespace becomes
 * `jabber:component:accept`. Undefined when `xml` is not one element.
 */
export function toComponentNamespace(xml: string): string | undefined {
  return restampStanza(xml, NS_COMPONENT_ACCEPT);
}
