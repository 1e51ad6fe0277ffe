import { describe, expect, it } from 'vitest';
import { TrustedAddresses, unmapIp } from './trusted-addresses.js';

describe('TrustedAddresses', () => {
  it('matches single addresses and CIDR ranges of both families', () => {
    const t = new TrustedAddresses(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1']);
    expect(t.has('10.200.3.4')).toBe(true);
    expect(t.has('11.0.0.1')).toBe(false);
    expect(t.has('192.0.2.7')).toBe(true);
    expect(t.has('192.0.2.8')).toBe(false);
    expect(t.has('2001:db8:1234::5')).toBe(true);
    expect(t.has('2001:db9::5')).toBe(false);
    expect(t.has('::1')).toBe(true);
    expect(t.has('not an address')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 peers against IPv4 entries and the other way round', () => {
    const v4 = new TrustedAddresses(['10.0.0.0/8']);
    expect(v4.has('::ffff:10.1.2.3')).toBe(true);
    expect(v4.has('::ffff:11.1.2.3')).toBe(false);
    const mapped = new TrustedAddresses(['::ffff:172.16.0.0/108']);
    expect(mapped.has('172.16.9.9')).toBe(true);
    expect(mapped.has('::ffff:172.16.9.9')).toBe(true);
    expect(mapped.has('172.32.0.1')).toBe(false);
  });

  it('trusts nobody when empty', () => {
    expect(new TrustedAddresses([]).has('127.0.0.1')).toBe(false);
  });
});

describe('unmapIp', () => {
  it('strips the IPv4-mapped prefix only', () => {
    expect(unmapIp('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(unmapIp('::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(unmapIp('::ffff:cb00:7109')).toBe('::ffff:cb00:7109');
    expect(unmapIp('2001:db8::1')).toBe('2001:db8::1');
  });
});
