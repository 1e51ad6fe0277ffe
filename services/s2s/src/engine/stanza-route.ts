/**
 * Addressing checks for a stanza received on an authenticated server-to-server
 * stream (RFC 6120 sections 8.1.1.2, 8.1.2.2 and 4.9.3; XEP-0220 section
 * 2.1.2 / 2.4): `from` and `to` are required JIDs, `to` must be a domain of
 * ours, and the `from` domain must have been authenticated for that `to`.
 * https://www.rfc-editor.org/rfc/rfc6120#section-8.1.2.2
 */
import { tryParseJID } from '@parley/jid';
import { NS_SERVER } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

export type RouteCheck =
  | { ok: true; from: string; to: string }
  | { ok: false; condition: StreamErrorCondition; text: string };

const STANZAS = new Set(['message', 'presence', 'iq']);

export function isStanza(el: Element): boolean {
  return STANZAS.has(el.name) && el.getNS() === NS_SERVER;
}

/**
 * `authorized(from, to)` says whether the domain pair is authenticated on
 * this stream; `isLocal(to)` whether `to` is ours.
 */
export function checkRoute(
  el: Element,
  isLocal: (domain: string) => boolean,
  authorized: (from: string, to: string) => boolean,
  knownRemote: (from: string) => boolean,
): RouteCheck {
  const fromAttr = el.attr('from');
  const toAttr = el.attr('to');
  if (fromAttr === undefined || toAttr === undefined) {
    return {
      ok: false,
      condition: 'improper-addressing',
      text: "stanzas between servers need 'from' and 'to'",
    };
  }
  const from = tryParseJID(fromAttr);
  if (from === undefined)
    return { ok: false, condition: 'invalid-from', text: "'from' is not a valid JID" };
  const to = tryParseJID(toAttr);
  if (to === undefined)
    return { ok: false, condition: 'improper-addressing', text: "'to' is not a valid JID" };
  if (!isLocal(to.domain)) {
    return { ok: false, condition: 'host-unknown', text: `${to.domain} is not served here` };
  }
  if (!knownRemote(from.domain)) {
    return {
      ok: false,
      condition: 'invalid-from',
      text: `${from.domain} is not authenticated on this stream`,
    };
  }
  if (!authorized(from.domain, to.domain)) {
    return {
      ok: false,
      condition: 'invalid-from',
      text: `${from.domain} is not authenticated for ${to.domain} on this stream`,
    };
  }
  return { ok: true, from: from.domain, to: to.domain };
}
