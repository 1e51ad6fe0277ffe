import { describe, expect, it } from 'vitest';
import { parseAddressRange } from './address-range.js';
import { loadConfig } from './load.js';

describe('parseAddressRange', () => {
  it('reads addresses and CIDR ranges of both families', () => {
    expect(parseAddressRange('203.0.113.7')).toEqual({
      address: '203.0.113.7',
      prefix: 32,
      family: 'ipv4',
    });
    expect(parseAddressRange(' 10.0.0.0/8 ')).toEqual({
      address: '10.0.0.0',
      prefix: 8,
      family: 'ipv4',
    });
    expect(parseAddressRange('2001:db8::/32')).toEqual({
      address: '2001:db8::',
      prefix: 32,
      family: 'ipv6',
    });
    expect(parseAddressRange('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
  });

  it('reads IPv4-mapped IPv6 entries as the IPv4 range they map', () => {
    expect(parseAddressRange('::ffff:10.0.0.0/104')).toEqual({
      address: '10.0.0.0',
      prefix: 8,
      family: 'ipv4',
    });
    expect(parseAddressRange('::FFFF:192.0.2.1')).toEqual({
      address: '192.0.2.1',
      prefix: 32,
      family: 'ipv4',
    });
  });

  it('rejects host names, bad prefixes and zone ids', () => {
    for (const bad of [
      'lb.example.org',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '2001:db8::/129',
      'fe80::1%eth0',
      '10.0.0.256',
      '',
    ]) {
      expect(() => parseAddressRange(bad), bad).toThrow(/expected an IP address or a CIDR range/);
    }
  });
});

describe('PROXY protocol configuration', () => {
  it('is off by default, with no trusted addresses and a 5 s header timeout', () => {
    const { c2s } = loadConfig({ env: {} });
    expect(c2s.proxyProtocol).toBe(false);
    expect(c2s.proxyTrustedAddresses).toEqual([]);
    expect(c2s.proxyHeaderTimeoutMs).toBe(5000);
  });

  it('reads trusted addresses from the file form and from the environment', () => {
    const fromJson = loadConfig({
      env: {},
      overrides: {
        c2s: { proxyProtocol: true, proxyTrustedAddresses: ['10.0.0.0/8', '2001:db8::1'] },
      },
    });
    expect(fromJson.c2s.proxyTrustedAddresses).toEqual(['10.0.0.0/8', '2001:db8::1']);
    const fromEnv = loadConfig({
      env: {
        PARLEY_C2S_PROXY_PROTOCOL: 'true',
        PARLEY_C2S_PROXY_TRUSTED_ADDRESSES: '10.0.0.0/8, 192.168.1.0/24',
      },
    });
    expect(fromEnv.c2s.proxyProtocol).toBe(true);
    expect(fromEnv.c2s.proxyTrustedAddresses).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
  });

  it('stops the start with the key named for a bad entry or an empty list', () => {
    expect(() =>
      loadConfig({ env: {}, overrides: { c2s: { proxyTrustedAddresses: ['10.0.0.0/40'] } } }),
    ).toThrow(/^c2s\.proxyTrustedAddresses\[0\]: expected an IP address or a CIDR range/);
    expect(() =>
      loadConfig({ env: { PARLEY_C2S_PROXY_TRUSTED_ADDRESSES: 'lb.internal' } }),
    ).toThrow(/^c2s\.proxyTrustedAddresses\[0\]: expected .* got "lb\.internal"/);
    expect(() => loadConfig({ env: {}, overrides: { c2s: { proxyProtocol: true } } })).toThrow(
      /^c2s\.proxyTrustedAddresses: must list the load balancers/,
    );
    expect(() =>
      loadConfig({ env: {}, overrides: { websocket: { trustedProxies: ['proxy.local'] } } }),
    ).toThrow(/^websocket\.trustedProxies\[0\]: expected an IP address or a CIDR range/);
  });
});
