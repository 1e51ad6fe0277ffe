/**
 * The key per-address limits count by: an IPv4 address as it is, an IPv6
 * address by its /64 (one subscriber's prefix: a host may use any address in
 * it, so counting single addresses would let it dodge every cap), as the
 * admin API's rate limit does.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { unmapIp } from './trusted-addresses.js';

/** `a.b.c.d`, `2001:db8:1:2::/64`, or the input itself when it is no IP address. */
export function addressKey(address: string): string {
  const ip = unmapIp(address);
  if (isIPv4(ip)) return ip;
  const bare = stripZone(ip);
  if (!isIPv6(bare)) return ip;
  const groups = expandIpv6(bare);
  if (groups === undefined) return ip;
  return `${groups
    .slice(0, 4)
    .map(Number)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function stripZone(ip: string): string {
  const pct = ip.indexOf('%');
  return pct === -1 ? ip : ip.slice(0, pct);
}

/** The eight 16-bit groups of a valid IPv6 address, as hex strings prefixed with 0x. */
function expandIpv6(ip: string): string[] | undefined {
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...right];
  return groups.map((g) => `0x${g}`);
}
