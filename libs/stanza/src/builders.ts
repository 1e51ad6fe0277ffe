/** Stanza classification, replies and XEP-0203 delay stamps. */
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_CLIENT, NS_DELAY, NS_SERVER } from './ns.js';
import type { StanzaError } from './stanza-errors.js';

export type StanzaKind = 'message' | 'presence' | 'iq';

/**
 * The kind of a top-level stanza, or undefined for anything else (stream
 * features, SASL, stream management...). Stanzas are qualified by
 * `jabber:client` or `jabber:server`; an element detached from its stream
 * header may have no namespace at all and is accepted too.
 */
export function stanzaKind(el: Element): StanzaKind | undefined {
  if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return undefined;
  const ns = el.getNS();
  if (ns !== undefined && ns !== NS_CLIENT && ns !== NS_SERVER) return undefined;
  return el.name;
}

export function isStanza(el: Element): boolean {
  return stanzaKind(el) !== undefined;
}

/**
 * A serialized stanza rewritten for a stream whose content namespace is
 * `ns`: a server-to-server stream (`jabber:server`), a component stream
 * (`jabber:component:accept`) or back to `jabber:client`, the namespace
 * stanzas travel in on the bus. Only a top-level namespace of `jabber:client`,
 * `jabber:server`, `jabber:component:accept` or none is changed; children
 * that declare their own keep it. Undefined when `xml` is not one element.
 */
export function restampStanza(xml: string, ns: string): string | undefined {
  let el: Element;
  try {
    el = parseXml(xml);
  } catch {
    return undefined;
  }
  if (el.name.includes(':')) return undefined;
  const own = el.attr('xmlns');
  if (own === undefined || STREAM_CONTENT_NS.has(own)) el.setAttr('xmlns', ns);
  return el.toString();
}

const STREAM_CONTENT_NS: ReadonlySet<string> = new Set([
  NS_CLIENT,
  NS_SERVER,
  'jabber:component:accept',
]);

/**
 * Whether an error may be returned for this stanza: never for an error
 * (RFC 6120 8.3.1: an entity must not respond to an error with an error) nor
 * for an IQ result, and never for a non-stanza.
 */
export function canReplyWithError(stanza: Element): boolean {
  const kind = stanzaKind(stanza);
  if (kind === undefined) return false;
  const type = stanza.attr('type');
  if (type === 'error') return false;
  return !(kind === 'iq' && type === 'result');
}

/** Reply skeleton: same name, explicit namespace and id; addresses swapped. */
function replyTo(stanza: Element, type: string): Element {
  return xml(stanza.name, {
    xmlns: stanza.attr('xmlns'),
    from: stanza.attr('to'),
    to: stanza.attr('from'),
    id: stanza.attr('id'),
    type,
    'xml:lang': stanza.attr('xml:lang'),
  });
}

/**
 * Error reply to a stanza (RFC 6120 8.3.1): addresses swapped, same id,
 * type `error`. A message or presence carries copies of the original
 * children so the sender can tell what failed; an IQ carries only the error.
 * Check {@link canReplyWithError} first: this function does not refuse.
 */
export function errorReply(stanza: Element, err: StanzaError): Element {
  const kind = stanzaKind(stanza);
  if (kind === undefined) throw new TypeError(`errorReply: <${stanza.name}/> is not a stanza`);
  const reply = replyTo(stanza, 'error');
  if (kind !== 'iq') {
    for (const child of stanza.children) {
      reply.append(typeof child === 'string' ? child : child.clone());
    }
  }
  return reply.append(err.toElement());
}

/** `result` reply to an IQ get or set: addresses swapped, same id, optional payload. */
export function iqResult(iq: Element, payload?: Element): Element {
  if (stanzaKind(iq) !== 'iq') throw new TypeError(`iqResult: <${iq.name}/> is not an iq`);
  const type = iq.attr('type');
  if (type !== 'get' && type !== 'set') {
    throw new TypeError(`iqResult: cannot answer an iq of type ${String(type)}`);
  }
  const reply = replyTo(iq, 'result');
  if (payload) reply.append(payload);
  return reply;
}

/**
 * XEP-0082 DateTime in UTC with milliseconds: `2002-09-10T23:08:25.000Z`.
 * Throws RangeError for an invalid date or a year outside 0000-9999.
 */
export function xep0082DateTime(d: Date): string {
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) {
    throw new RangeError('xep0082DateTime: date out of range');
  }
  return d.toISOString();
}

/** XEP-0203 `<delay xmlns='urn:xmpp:delay' from stamp>[reason]</delay>`. */
export function delayElement(from: string, stamp: Date, text?: string): Element {
  return xml('delay', { xmlns: NS_DELAY, from, stamp: xep0082DateTime(stamp) }, text);
}
