/**
 * The PROXY protocol header, versions 1 (text) and 2 (binary), as specified
 * by HAProxy: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
 *
 * {@link parseProxyHeader} is called with everything received so far and
 * answers `incomplete` (wait for more), `invalid` (close the connection) or
 * the header and its length (what follows it is the client's data). It never
 * asks for more than {@link V1_MAX_BYTES} bytes of a v1 header or the 16 +
 * `len` bytes a v2 header announces.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The longest v1 header, CRLF included (section 2.1). */
export const V1_MAX_BYTES = 107;
/** `\r\n\r\n\0\r\nQUIT\n`: the first 12 bytes of every v2 header (section 2.2). */
export const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_FIXED = 16;
/** v2 address block sizes: two IPv4 addresses and ports, two IPv6 and ports. */
const INET_BYTES = 12;
const INET6_BYTES = 36;
const UNIX_BYTES = 216;

/** An endpoint named by a header. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /**
   * `proxy`: a relayed connection, `source` is the client. `local`: v2 LOCAL
   * (the proxy's own connection, e.g. a health check), v1 UNKNOWN, or a
   * family or protocol other than TCP over IPv4/IPv6: the socket's own
   * addresses stand.
   */
  command: 'proxy' | 'local';
  /** The client; present for `proxy` only. */
  source?: ProxyEndpoint;
  /** The address the client connected to (the load balancer's front). */
  destination?: ProxyEndpoint;
  /** v2 TLV types present (skipped, not interpreted). */
  tlvTypes?: number[];
}

export type ProxyParseResult =
  | { status: 'incomplete' }
  /** `missing`: the data does not start like any PROXY header (a client without one). */
  | { status: 'invalid'; reason: string; missing?: true }
  | { status: 'done'; header: ProxyHeader; length: number };

const INCOMPLETE: ProxyParseResult = { status: 'incomplete' };

export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  if (startsLike(buf, V2_SIGNATURE)) {
    return buf.length < V2_SIGNATURE.length ? INCOMPLETE : parseV2(buf);
  }
  if (startsLike(buf, V1_PREFIX)) {
    return buf.length < V1_PREFIX.length ? INCOMPLETE : parseV1(buf);
  }
  return { status: 'invalid', reason: 'no PROXY protocol header', missing: true };
}

/** Whether `buf` and `prefix` agree on their common length. */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function invalid(reason: string): ProxyParseResult {
  return { status: 'invalid', reason };
}

// ---- version 1 -------------------------------------------------------------

const PORT = /^(0|[1-9]\d{0,4})$/;

function parseV1(buf: Buffer): ProxyParseResult {
  const scan = buf.subarray(0, V1_MAX_BYTES);
  const lf = scan.indexOf(0x0a);
  if (lf === -1) {
    return buf.length >= V1_MAX_BYTES ? invalid('v1 header longer than 107 bytes') : INCOMPLETE;
  }
  if (lf === 0 || scan[lf - 1] !== 0x0d) return invalid('v1 header not ended by CRLF');
  const line = scan.subarray(0, lf - 1);
  for (const byte of line) {
    if (byte < 0x20 || byte > 0x7e) return invalid('v1 header with a non-printable byte');
  }
  const length = lf + 1;
  const fields = line.toString('latin1').split(' ');
  const proto = fields[1];
  if (proto === 'UNKNOWN') {
    // Section 2.1: whatever follows UNKNOWN up to the CRLF is ignored.
    return { status: 'done', header: { version: 1, command: 'local' }, length };
  }
  if (proto !== 'TCP4' && proto !== 'TCP6') {
    return invalid(`v1 protocol ${JSON.stringify(proto ?? '')} is not TCP4, TCP6 or UNKNOWN`);
  }
  if (fields.length !== 6) return invalid('v1 header without exactly four address fields');
  const [, , srcIp, dstIp, srcPort, dstPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const isFamily = proto === 'TCP4' ? isIPv4 : isIPv6;
  if (!isFamily(srcIp) || !isFamily(dstIp) || srcIp.includes('%') || dstIp.includes('%')) {
    return invalid(`v1 addresses are not ${proto === 'TCP4' ? 'IPv4' : 'IPv6'}`);
  }
  const sport = v1Port(srcPort);
  const dport = v1Port(dstPort);
  if (sport === undefined || dport === undefined) return invalid('v1 port out of range');
  return {
    status: 'done',
    header: {
      version: 1,
      command: 'proxy',
      source: { ip: srcIp, port: sport },
      destination: { ip: dstIp, port: dport },
    },
    length,
  };
}

function v1Port(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

// ---- version 2 -------------------------------------------------------------

const CMD_LOCAL = 0x0;
const CMD_PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const PROTO_STREAM = 0x1;

function parseV2(buf: Buffer): ProxyParseResult {
  if (buf.length < V2_FIXED) return INCOMPLETE;
  const verCmd = buf[12]!;
  const fam = buf[13]!;
  const len = buf.readUInt16BE(14);
  if (verCmd >> 4 !== 0x2) return invalid(`v2 header with version ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command !== CMD_LOCAL && command !== CMD_PROXY) {
    return invalid(`v2 header with command ${command}`);
  }
  const family = fam >> 4;
  const protocol = fam & 0x0f;
  if (family > AF_UNIX || protocol > 0x2) {
    return invalid(`v2 header with address family/protocol 0x${fam.toString(16)}`);
  }
  const length = V2_FIXED + len;
  if (buf.length < length) return INCOMPLETE;
  const block = buf.subarray(V2_FIXED, length);
  // LOCAL: the proxy's own connection; the whole block is discarded (section 2.2).
  if (command === CMD_LOCAL)
    return { status: 'done', header: { version: 2, command: 'local' }, length };
  const addrBytes =
    family === AF_INET
      ? INET_BYTES
      : family === AF_INET6
        ? INET6_BYTES
        : family === AF_UNIX
          ? UNIX_BYTES
          : 0;
  if (block.length < addrBytes) {
    return invalid(`v2 address block of ${block.length} bytes, ${addrBytes} needed`);
  }
  const tlvTypes = family === AF_UNSPEC ? [] : skipTlvs(block.subarray(addrBytes));
  if (tlvTypes === undefined) return invalid('v2 TLV runs past the end of the header');
  // Only TCP over IPv4/IPv6 names a client; anything else keeps the socket's addresses.
  if ((family !== AF_INET && family !== AF_INET6) || protocol !== PROTO_STREAM) {
    return { status: 'done', header: { version: 2, command: 'local', tlvTypes }, length };
  }
  const header: ProxyHeader =
    family === AF_INET
      ? {
          version: 2,
          command: 'proxy',
          source: { ip: ipv4(block, 0), port: block.readUInt16BE(8) },
          destination: { ip: ipv4(block, 4), port: block.readUInt16BE(10) },
          tlvTypes,
        }
      : {
          version: 2,
          command: 'proxy',
          source: { ip: ipv6(block, 0), port: block.readUInt16BE(32) },
          destination: { ip: ipv6(block, 16), port: block.readUInt16BE(34) },
          tlvTypes,
        };
  return { status: 'done', header, length };
}

/** Walks the TLVs after the addresses: their types, or undefined when one overruns. */
function skipTlvs(tlvs: Buffer): number[] | undefined {
  const types: number[] = [];
  let at = 0;
  while (at < tlvs.length) {
    if (at + 3 > tlvs.length) return undefined;
    const end = at + 3 + tlvs.readUInt16BE(at + 1);
    if (end > tlvs.length) return undefined;
    types.push(tlvs[at]!);
    at = end;
  }
  return types;
}

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text (lower case, longest zero run compressed), as node:net reports addresses. */
function ipv6(b: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + 2 * i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped: ::ffff:a.b.c.d, as node:net writes them.
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff) {
    return `::ffff:${ipv4(b, at + 12)}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
