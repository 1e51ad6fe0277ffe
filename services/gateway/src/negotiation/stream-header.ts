/**
 * The stream header (RFC 6120 section 4.7): checking the client's and
 * writing ours.
 */
import { randomBytes } from 'node:crypto';
import { normalizeDomain, parseJID } from '@parley/jid';
import { NS_CLIENT, NS_STREAM } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import { escapeAttr } from '@parley/xml';

export interface StreamOpen {
  name: string;
  attrs: Record<string, string>;
}

export type HeaderCheck =
  | {
      ok: true;
      /** Normalized served domain named in 'to'. */
      domain: string;
      /** xml:lang the client declared, if any. */
      lang: string | undefined;
      /** The client's 'from', normalized, echoed as 'to' in our header (RFC 6120 4.7.2). */
      peer: string | undefined;
    }
  | { ok: false; condition: StreamErrorCondition; text: string; domain: string | undefined };

/** A language tag as RFC 5646 allows it, loosely: letters, digits and hyphens. */
const LANG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/**
 * Validates an initial stream header of a client stream, in the order of the
 * conditions of RFC 6120 4.9.3: stream namespace, prefix, content namespace,
 * served domain, version.
 */
export function checkStreamHeader(open: StreamOpen, domains: ReadonlySet<string>): HeaderCheck {
  const { name, attrs } = open;
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? undefined : name.slice(0, colon);
  const local = colon === -1 ? name : name.slice(colon + 1);
  const ns = prefix === undefined ? attrs['xmlns'] : attrs[`xmlns:${prefix}`];
  const domain = servedDomain(attrs['to'], domains);
  const fail = (condition: StreamErrorCondition, text: string): HeaderCheck => ({
    ok: false,
    condition,
    text,
    domain,
  });
  if (ns !== NS_STREAM) {
    return fail('invalid-namespace', `the stream element must be qualified by ${NS_STREAM}`);
  }
  if (local !== 'stream') return fail('bad-format', 'the root element must be <stream:stream/>');
  if (prefix !== 'stream') {
    return fail('bad-namespace-prefix', "the stream element must use the 'stream' prefix");
  }
  if (attrs['xmlns'] !== NS_CLIENT) {
    return fail('invalid-namespace', `the content namespace must be ${NS_CLIENT}`);
  }
  return checkAddressing(attrs, domain, fail);
}

/**
 * Validates an RFC 7395 `<open/>` (section 3.4; the framer has checked that
 * it is `open` in the framing namespace): there is no stream prefix and no
 * content namespace (every stanza declares `jabber:client` itself), the rest
 * is checked as for a TCP header.
 */
export function checkFramedOpen(open: StreamOpen, domains: ReadonlySet<string>): HeaderCheck {
  const { attrs } = open;
  const domain = servedDomain(attrs['to'], domains);
  return checkAddressing(attrs, domain, (condition, text) => ({
    ok: false,
    condition,
    text,
    domain,
  }));
}

/** 'to', 'version', 'xml:lang' and 'from', common to both kinds of stream header. */
function checkAddressing(
  attrs: Record<string, string>,
  domain: string | undefined,
  fail: (condition: StreamErrorCondition, text: string) => HeaderCheck,
): HeaderCheck {
  if (attrs['to'] === undefined) {
    return fail('host-unknown', "the stream header has no 'to' address");
  }
  if (domain === undefined) return fail('host-unknown', 'this server does not serve that domain');
  const version = attrs['version'];
  if (version === undefined || !/^1\.\d+$/.test(version)) {
    return fail('unsupported-version', 'this server supports XMPP version 1.0 only');
  }
  const lang = attrs['xml:lang'];
  return {
    ok: true,
    domain,
    lang: lang !== undefined && LANG.test(lang) ? lang : undefined,
    peer: peerAddress(attrs['from']),
  };
}

function servedDomain(to: string | undefined, domains: ReadonlySet<string>): string | undefined {
  if (to === undefined) return undefined;
  try {
    const d = normalizeDomain(to);
    return domains.has(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

function peerAddress(from: string | undefined): string | undefined {
  if (from === undefined) return undefined;
  try {
    return parseJID(from).toString();
  } catch {
    return undefined;
  }
}

const STREAM_ID_BYTES = 12;
/**
 * CSPRNG output fetched 256 stream ids at a time: one randomBytes call costs
 * a few microseconds of fixed overhead, and a login opens three streams.
 * Every byte is used once.
 */
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** A fresh, unpredictable stream id (RFC 6120 4.7.3). */
export function newStreamId(): string {
  if (idOffset + STREAM_ID_BYTES > idPool.length) {
    idPool = randomBytes(STREAM_ID_BYTES * 256);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + STREAM_ID_BYTES);
  idOffset += STREAM_ID_BYTES;
  return id;
}

/** Our response header, with the XML declaration. */
export function streamHeader(domain: string, lang: string, peer?: string): string {
  const to = peer === undefined ? '' : ` to="${escapeAttr(peer)}"`;
  return (
    `<?xml version='1.0'?><stream:stream xmlns="${NS_CLIENT}" xmlns:stream="${NS_STREAM}"` +
    ` id="${newStreamId()}" from="${escapeAttr(domain)}"${to} version="1.0" xml:lang="${escapeAttr(lang)}">`
  );
}
