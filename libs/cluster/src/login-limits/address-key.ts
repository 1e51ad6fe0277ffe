/**
 * How the login limits group client addresses: an IPv4 address (also when
 * it arrives IPv4-mapped, `::ffff:a.b.c.d`) stands for itself; an IPv6
 * address for its /64, the smallest network a site is normally given, so
 * an attacker cannot step through the 2^64 addresses of one network:
 * `2001:db8:1:2:a:b:c:d` -> `2001:db8:1:2::/64`. A /64 given as
 * `2001:db8:1:2::/64` maps to itself. Anything else (no IP address) is
 * kept as it is.
 */
import { isIPv4, isIPv6 } from 'node:net';

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function addressKey(address: string): string {
  let text = address.trim();
  if (text.endsWith('/64')) text = text.slice(0, -3);
  const mapped = MAPPED.exec(text);
  if (mapped !== null && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(text)) return text;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (!isIPv6(text)) return address;
  const groups = ipv6Groups(text);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in hex without leading zeros. */
function ipv6Groups(text: string): string[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const part = (s: string | undefined): number[] => {
    if (s === undefined || s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const left = part(head);
  const right = part(tail);
  const zeros = tail === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right].map((n) => n.toString(16));
}
