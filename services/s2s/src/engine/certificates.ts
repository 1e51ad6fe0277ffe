/**
 * Peer certificate checks for server-to-server streams:
 * - RFC 6120 section 13.7.1.2 and RFC 7590 section 3.2 (which identities an
 *   XMPP server certificate carries),
 * - RFC 6125 section 6 (matching a reference identity: DNS-ID with a wildcard
 *   only as the whole left-most label, SRV-ID, CN-ID only when no SAN of a
 *   supported type is present),
 * - XEP-0178 (SASL EXTERNAL for servers): the certificate must chain to a
 *   trusted root and name the peer's domain.
 * https://www.rfc-editor.org/rfc/rfc6120#section-13.7.1.2
 * https://www.rfc-editor.org/rfc/rfc6125#section-6
 *
 * Chain validation is OpenSSL's, done during the handshake against the
 * configured CA bundle (`ca`, with `rejectUnauthorized: false`): the result
 * is `socket.authorized` / `socket.authorizationError`. Identity is checked
 * here, separately, so that the two verdicts can be reported apart.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

export interface PeerIdentity {
  /** The certificate chains to a trusted root (and is within its validity). */
  trusted: boolean;
  /** The certificate names the domain (DNS-ID, SRV-ID, XmppAddr or, without SANs, CN). */
  matches: boolean;
  /** Why it is not trusted or does not match. */
  reason?: string;
}

export interface SanEntry {
  /** `DNS`, `IP Address`, `URI`, `email`, `XmppAddr`, `SRVName`, ... as Node.js names them. */
  type: string;
  value: string;
}

/** The trust and identity verdict for the peer of `socket`, for `domain`. */
export function peerIdentity(socket: TLSSocket, domain: string): PeerIdentity {
  const cert = peerCertificate(socket);
  if (cert === undefined) return { trusted: false, matches: false, reason: 'no certificate' };
  const trusted = socket.authorized;
  const matches = certificateMatches(cert, domain);
  const reasons: string[] = [];
  if (!trusted) {
    const err = socket.authorizationError as Error | string | null | undefined;
    const text = err instanceof Error ? err.message : (err ?? 'unknown');
    reasons.push(`certificate not trusted: ${text}`);
  }
  if (!matches) reasons.push(`certificate does not name ${domain}`);
  return reasons.length === 0
    ? { trusted, matches }
    : { trusted, matches, reason: reasons.join('; ') };
}

/**
 * The peer's leaf certificate. Read through `getPeerCertificate()` (its DER),
 * since `getPeerX509Certificate()` returns it only once on Node 20.
 */
export function peerCertificate(socket: TLSSocket): X509Certificate | undefined {
  const detail = socket.getPeerCertificate(false) as { raw?: Buffer } | null;
  const raw = detail?.raw;
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    return new X509Certificate(raw);
  } catch {
    return undefined;
  }
}

/** Whether `cert` names `domain` as an XMPP server (RFC 6125 rules). */
export function certificateMatches(cert: X509Certificate, domain: string): boolean {
  const ref = normalizeName(domain);
  if (ref === '') return false;
  const sans = parseSubjectAltName(cert.subjectAltName);
  let supported = false;
  for (const { type, value } of sans) {
    if (type === 'DNS') {
      supported = true;
      if (dnsIdMatches(value, ref)) return true;
    } else if (type === 'XmppAddr') {
      supported = true;
      if (normalizeName(value) === ref) return true;
    } else if (type === 'SRVName') {
      supported = true;
      const v = normalizeName(value);
      if (v === `_xmpp-server.${ref}` || v === `_xmpps-server.${ref}`) return true;
    }
  }
  if (supported) return false;
  // RFC 6125 6.4.4: the CN only when the certificate has no SAN of a supported type.
  return commonNames(cert.subject).some((cn) => dnsIdMatches(cn, ref));
}

/**
 * A DNS-ID against a reference domain: equal ignoring case, or `*.rest`
 * where the wildcard stands for exactly the left-most label (not part of a
 * label, never more than one label, never directly under a top-level domain).
 */
export function dnsIdMatches(presented: string, reference: string): boolean {
  const p = normalizeName(presented);
  const r = normalizeName(reference);
  if (p === '' || r === '') return false;
  if (!p.includes('*')) return p === r;
  if (!p.startsWith('*.')) return false;
  const rest = p.slice(2);
  if (rest.includes('*') || !rest.includes('.')) return false;
  const dot = r.indexOf('.');
  return dot > 0 && r.slice(dot + 1) === rest;
}

function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/**
 * Parses Node's `X509Certificate.subjectAltName` text: entries `TYPE:value`
 * separated by `, `, where a value with special characters is a JSON string
 * (`DNS:"..."`), and other names read `othername:XmppAddr:value`.
 */
export function parseSubjectAltName(text: string | undefined): SanEntry[] {
  const out: SanEntry[] = [];
  if (text === undefined || text === '') return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    let type = text.slice(i, colon);
    i = colon + 1;
    if (type === 'othername') {
      const next = readValue(text, i);
      const inner = next.value.indexOf(':');
      if (inner !== -1 && !next.quoted) {
        type = next.value.slice(0, inner);
        const value = next.value.slice(inner + 1);
        out.push({ type, value: value.startsWith('"') ? unquote(value) : value });
      } else if (inner !== -1) {
        out.push({ type: next.value.slice(0, inner), value: next.value.slice(inner + 1) });
      }
      i = next.end;
    } else {
      const next = readValue(text, i);
      out.push({ type, value: next.value });
      i = next.end;
    }
    if (text.startsWith(', ', i)) i += 2;
  }
  return out;
}

function readValue(text: string, start: number): { value: string; end: number; quoted: boolean } {
  if (text[start] === '"') {
    let j = start + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return { value: unquote(text.slice(start, j + 1)), end: j + 1, quoted: true };
  }
  // othername:TYPE:"quoted": the quote starts after the inner type.
  const quoteAt = text.indexOf(':"', start);
  const sep = text.indexOf(', ', start);
  if (quoteAt !== -1 && (sep === -1 || quoteAt < sep)) {
    const q = readValue(text, quoteAt + 1);
    return {
      value: `${text.slice(start, quoteAt + 1)}${JSON.stringify(q.value)}`,
      end: q.end,
      quoted: false,
    };
  }
  const end = sep === -1 ? text.length : sep;
  return { value: text.slice(start, end), end, quoted: false };
}

function unquote(s: string): string {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'string' ? v : s;
  } catch {
    return s;
  }
}

/** The CN values of an X509Certificate `subject` text (one `KEY=value` per line). */
function commonNames(subject: string): string[] {
  return subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
}
