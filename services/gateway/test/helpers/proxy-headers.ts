/**
 * Builds PROXY protocol headers for tests (parser unit tests and the
 * gateway integration tests); not used by the gateway itself.
 */
import { isIPv4 } from 'node:net';
import { V2_SIGNATURE } from '../../src/proxy/header.js';
import type { ProxyEndpoint } from '../../src/proxy/header.js';

export interface V2HeaderOptions {
  /** Low nibble of the version/command byte: 0x1 PROXY (default), 0x0 LOCAL. */
  command?: number;
  /** The whole version/command byte (overrides `command`). */
  verCmd?: number;
  /** The family/protocol byte; default from the source address (0x11 or 0x21). */
  family?: number;
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** The address block as is (instead of source and destination). */
  block?: Buffer;
  tlvs?: [number, Buffer][];
  /** Raw bytes appended after the TLVs. */
  tlvRaw?: Buffer;
}

/** A v1 header line: `PROXY TCP4|TCP6 src dst sport dport\r\n`. */
export function v1Header(source: ProxyEndpoint, destination: ProxyEndpoint): Buffer {
  const proto = isIPv4(source.ip) ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${proto} ${source.ip} ${destination.ip} ${source.port} ${destination.port}\r\n`,
    'latin1',
  );
}

export function v2Header(opts: V2HeaderOptions): Buffer {
  const v4 = opts.source === undefined || isIPv4(opts.source.ip);
  const family = opts.family ?? (v4 ? 0x11 : 0x21);
  let block = opts.block;
  if (block === undefined) {
    const src = opts.source ?? { ip: '0.0.0.0', port: 0 };
    const dst = opts.destination ?? { ip: '0.0.0.0', port: 0 };
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(src.port, 0);
    ports.writeUInt16BE(dst.port, 2);
    block = Buffer.concat([ipBytes(src.ip), ipBytes(dst.ip), ports]);
  }
  const tlvs = (opts.tlvs ?? []).map(([type, value]) => {
    const head = Buffer.alloc(3);
    head[0] = type;
    head.writeUInt16BE(value.length, 1);
    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat([block, ...tlvs, opts.tlvRaw ?? Buffer.alloc(0)]);
  const fixed = Buffer.alloc(4);
  fixed[0] = opts.verCmd ?? 0x20 | (opts.command ?? 0x1);
  fixed[1] = family;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" and an embedded IPv4 tail into eight groups.
  let text = ip;
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail !== null) {
    const b = v4tail[1]!.split('.').map(Number);
    text =
      text.slice(0, -v4tail[1]!.length) +
      `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g as string, 16), 2 * i));
  return out;
}
