/**
 * The wire format of XEP-0124 (BOSH) as XEP-0206 uses it for XMPP: every
 * HTTP request and response body is one `<body/>` element in
 * `http://jabber.org/protocol/httpbind` wrapping zero or more top-level
 * XMPP elements; the XMPP-specific attributes are in `urn:xmpp:xbosh`.
 *
 * https://xmpp.org/extensions/xep-0124.html
 * https://xmpp.org/extensions/xep-0206.html
 */
import { NS_STREAM } from '@parley/stanza';
import { escapeAttr, parseXml } from '@parley/xml';
import type { Element, XmlError } from '@parley/xml';
import { frameElement } from '../websocket/framing.js';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';
/** The XEP-0124 version we speak (`ver`). */
export const BOSH_VERSION = '1.11';
/** The largest rid a client may use (2^53 - 1, XEP-0124 section 14.1). */
export const MAX_RID = Number.MAX_SAFE_INTEGER;

/** Terminal binding conditions (XEP-0124 section 17.2). */
export type TerminalCondition =
  | 'bad-request'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'item-not-found'
  | 'other-request'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'remote-stream-error'
  | 'see-other-uri'
  | 'system-shutdown'
  | 'undefined-condition';

export type BodyAttrs = Record<string, string | number | undefined>;

/**
 * A response `<body/>` around `payload` (already serialized elements, each
 * made self-contained by `frameElement`). The body declares the `stream`
 * and `xmpp` prefixes, so `<stream:features/>`, `<stream:error/>` and the
 * `xmpp:` attributes read the same in every client's parser.
 */
export function body(attrs: BodyAttrs, payload = ''): string {
  let out = `<body xmlns='${NS_HTTPBIND}' xmlns:stream='${NS_STREAM}' xmlns:xmpp='${NS_XBOSH}'`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined) out += ` ${name}='${escapeAttr(String(value))}'`;
  }
  return payload === '' ? `${out}/>` : `${out}>${payload}</body>`;
}

export const EMPTY_BODY = body({});

/** `<body type='terminate'/>`, with a condition and what goes with it. */
export function terminate(condition?: TerminalCondition, payload = ''): string {
  return body({ type: 'terminate', condition }, payload);
}

const TERMINAL_START = body({ type: 'terminate' }).slice(0, -2);

/** Whether a body built here ends its session (`terminate`): its HTTP connection need not be kept. */
export function isTerminal(text: string): boolean {
  return text.startsWith(TERMINAL_START);
}

/** One element as it goes into a response: a stanza gets `jabber:client`, `stream:` elements their prefix. */
export function payloadElement(xml: string): string {
  return frameElement(xml);
}

/** A request body the server cannot take: answered with this condition, never a crash. */
export class BoshRequestError extends Error {
  override readonly name = 'BoshRequestError';
  constructor(
    readonly condition: TerminalCondition,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The request's `<body/>`, parsed with the same XML restrictions as a
 * stream (no DTD, entities, comments or processing instructions) and limits
 * (the body's own size, one more level of depth for the wrapper).
 */
export function parseRequest(text: string, maxBytes: number): Element {
  let el: Element;
  try {
    el = parseXml(text, { maxStanzaBytes: maxBytes, maxDepth: 33, maxAttributes: 64 });
  } catch (err) {
    const condition =
      (err as XmlError).condition === 'policy-violation' ? 'policy-violation' : 'bad-request';
    throw new BoshRequestError(condition, `unreadable request body: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (el.localName !== 'body' || el.getNS() !== NS_HTTPBIND) {
    throw new BoshRequestError('bad-request', `expected <body xmlns='${NS_HTTPBIND}'/>`);
  }
  return el;
}

/** An attribute of `urn:xmpp:xbosh` on the body, whatever prefix the client bound it to. */
export function xboshAttr(el: Element, local: string): string | undefined {
  for (const [name, value] of Object.entries(el.attrs)) {
    const colon = name.indexOf(':');
    if (colon === -1 || name.slice(colon + 1) !== local) continue;
    const prefix = name.slice(0, colon);
    if (prefix !== 'xmlns' && el.attr(`xmlns:${prefix}`) === NS_XBOSH) return value;
  }
  return undefined;
}

/** A rid: a positive integer up to 2^53 - 1, in decimal. */
export function parseRid(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,16}$/.test(value)) return undefined;
  const rid = Number(value);
  return rid > 0 && rid <= MAX_RID ? rid : undefined;
}

/** A whole number of seconds (wait, hold, pause); undefined when absent or not one. */
export function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,9}$/.test(value)) return undefined;
  return Number(value);
}

export { escapeAttr };
