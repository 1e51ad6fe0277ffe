/**
 * A set of trusted peers (load balancers sending PROXY headers, reverse
 * proxies sending X-Forwarded-For), built from configured IP addresses and
 * CIDR ranges (`parseAddressRange` of `@parley/config`) over `node:net`'s
 * BlockList. An IPv4 peer matches an IPv4-mapped IPv6 entry and the other way
 * round, so dual-stack listeners (`::ffff:10.0.0.5`) need no special entries.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { parseAddressRange } from '@parley/config';

export class TrustedAddresses {
  private readonly list = new BlockList();
  readonly size: number;

  /** @param entries validated configuration entries; throws on an invalid one. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const { address, prefix, family } = parseAddressRange(entry);
      this.list.addSubnet(address, prefix, family);
    }
    this.size = entries.length;
  }

  /** Whether `ip` (any textual form; IPv4-mapped IPv6 included) is in the set. */
  has(ip: string): boolean {
    if (this.size === 0) return false;
    if (isIPv4(ip)) return this.list.check(ip, 'ipv4');
    if (isIPv6(ip)) return this.list.check(ip, 'ipv6');
    return false;
  }
}

/** `::ffff:a.b.c.d` as `a.b.c.d`: one key per client for per-address limits. */
export function unmapIp(addr: string): string {
  return addr.length > 7 && addr.slice(0, 7).toLowerCase() === '::ffff:' && addr.includes('.')
    ? addr.slice(7)
    : addr;
}
