/**
 * RFC 7395 framing of our output: every WebSocket message is one complete
 * element that parses as a standalone document (section 3.3.3), so the
 * namespaces a TCP stream header would have declared are declared on each
 * element: `jabber:client` on stanzas, the `stream` prefix on
 * `<stream:features/>` and `<stream:error/>`. The stream header becomes
 * `<open/>` and `</stream:stream>` becomes `<close/>` (sections 3.4, 3.6).
 */
import { NS_CLIENT, NS_STREAM } from '@parley/stanza';
import { FRAMING_NS, escapeAttr } from '@parley/xml';
import { newStreamId } from '../negotiation/stream-header.js';

/** The sub-protocol a client must ask for (RFC 7395 3.1). */
export const WS_SUBPROTOCOL = 'xmpp';

/**
 * Our `<close/>`, written exactly as Strophe.js compares it (it recognizes a
 * closing stream by string equality, not by parsing).
 */
export const CLOSE = `<close xmlns="${FRAMING_NS}" />`;

/** Our `<open/>` in reply to the client's (RFC 7395 3.4). Starts with `<open ` as clients expect. */
export function openElement(domain: string, lang: string, peer?: string): string {
  const to = peer === undefined ? '' : ` to="${escapeAttr(peer)}"`;
  return (
    `<open xmlns="${FRAMING_NS}" id="${newStreamId()}" from="${escapeAttr(domain)}"${to}` +
    ` version="1.0" xml:lang="${escapeAttr(lang)}"/>`
  );
}

/** `<close/>`, with `see-other-uri` to send the client to another endpoint (RFC 7395 3.6.1). */
export function closeElement(seeOtherUri?: string): string {
  return seeOtherUri === undefined
    ? CLOSE
    : `<close xmlns="${FRAMING_NS}" see-other-uri="${escapeAttr(seeOtherUri)}" />`;
}

const STREAM_PREFIX = '<stream:';
const STREAM_DECL = ` xmlns:stream="${NS_STREAM}"`;
const CLIENT_DECL = ` xmlns="${NS_CLIENT}"`;

/**
 * Makes one serialized top-level element self-contained for a WebSocket
 * message: a stanza without a default namespace declaration (one built by
 * the server, or received on a TCP stream where it inherited `jabber:client`
 * from the stream header) gets `xmlns="jabber:client"`; a `stream:`-prefixed
 * element gets the `stream` prefix declared. Anything else is returned as is.
 * Only the start tag is scanned.
 */
export function frameElement(xml: string): string {
  if (xml.startsWith(STREAM_PREFIX)) {
    const end = nameEnd(xml, STREAM_PREFIX.length);
    return declares(xml, end, 'xmlns:stream') ? xml : insertAt(xml, end, STREAM_DECL);
  }
  const name = stanzaNameEnd(xml);
  if (name === -1) return xml;
  return declares(xml, name, 'xmlns') ? xml : insertAt(xml, name, CLIENT_DECL);
}

/** The end of a leading `<message`, `<presence` or `<iq` start-tag name, or -1. */
function stanzaNameEnd(xml: string): number {
  if (xml.charCodeAt(0) !== 0x3c /* < */) return -1;
  for (const name of ['message', 'presence', 'iq']) {
    if (xml.startsWith(name, 1) && isNameEnd(xml.charCodeAt(name.length + 1))) {
      return name.length + 1;
    }
  }
  return -1;
}

function nameEnd(xml: string, from: number): number {
  let i = from;
  while (i < xml.length && !isNameEnd(xml.charCodeAt(i))) i++;
  return i;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x2f /* / */ || c === 0x3e; /* > */
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Whether the start tag beginning before `from` carries attribute `attr` (quotes respected). */
function declares(xml: string, from: number, attr: string): boolean {
  let quote = 0;
  for (let i = from; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x22 || c === 0x27) {
      quote = c;
      continue;
    }
    if (c === 0x3e /* > */) return false;
    if (isSpace(xml.charCodeAt(i - 1)) && xml.startsWith(attr, i)) {
      let j = i + attr.length;
      while (isSpace(xml.charCodeAt(j))) j++;
      if (xml.charCodeAt(j) === 0x3d /* = */) return true;
    }
  }
  return false;
}

function insertAt(xml: string, at: number, text: string): string {
  return xml.slice(0, at) + text + xml.slice(at);
}
