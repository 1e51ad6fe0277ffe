import { describe, expect, it } from 'vitest';
import { V1_MAX_BYTES, V2_SIGNATURE, parseProxyHeader } from './header.js';
import type { ProxyParseResult } from './header.js';
import { v2Header } from '../../test/helpers/proxy-headers.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Parses `bytes` fed one more byte at a time: every proper prefix must be incomplete. */
function parseGrowing(bytes: Buffer): ProxyParseResult {
  for (let n = 0; n < bytes.length; n++) {
    const partial = parseProxyHeader(bytes.subarray(0, n));
    if (partial.status !== 'incomplete') return partial;
  }
  return parseProxyHeader(bytes);
}

describe('PROXY protocol v1', () => {
  it('reads a TCP4 header, and tells where the client data starts', () => {
    const header = ascii('PROXY TCP4 203.0.113.7 192.0.2.1 56324 5222\r\n');
    const result = parseProxyHeader(Buffer.concat([header, ascii('<?xml version="1.0"?>')]));
    expect(result).toEqual({
      status: 'done',
      length: header.length,
      header: {
        version: 1,
        command: 'proxy',
        source: { ip: '203.0.113.7', port: 56324 },
        destination: { ip: '192.0.2.1', port: 5222 },
      },
    });
  });

  it('reads a TCP6 header', () => {
    const result = parseProxyHeader(ascii('PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n'));
    expect(result).toMatchObject({
      status: 'done',
      header: {
        command: 'proxy',
        source: { ip: '2001:db8::7', port: 65535 },
        destination: { ip: '2001:db8::1', port: 0 },
      },
    });
  });

  it('takes UNKNOWN as "keep the socket address", ignoring the rest of the line', () => {
    for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n']) {
      expect(parseProxyHeader(ascii(line))).toEqual({
        status: 'done',
        length: line.length,
        header: { version: 1, command: 'local' },
      });
    }
  });

  it('is incomplete at every split position, and complete only with the CRLF', () => {
    const line = ascii('PROXY TCP4 198.51.100.22 203.0.113.7 35646 5223\r\n');
    expect(parseGrowing(line)).toMatchObject({ status: 'done', length: line.length });
  });

  it('accepts the longest header (107 bytes) and refuses a longer line', () => {
    const ip6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    // The spec's worst case: UNKNOWN followed by two full IPv6 addresses and ports.
    const longest = ascii(`PROXY UNKNOWN ${ip6} ${ip6} 65535 65535\r\n`);
    expect(longest.length).toBe(V1_MAX_BYTES);
    expect(parseProxyHeader(longest)).toMatchObject({ status: 'done', length: 107 });
    // Without a CRLF within 107 bytes the header is refused, however much more comes.
    const noEnd = ascii(`PROXY UNKNOWN ${'x'.repeat(200)}`);
    expect(parseProxyHeader(noEnd.subarray(0, 106))).toEqual({ status: 'incomplete' });
    expect(parseProxyHeader(noEnd.subarray(0, 107))).toMatchObject({
      status: 'invalid',
      reason: 'v1 header longer than 107 bytes',
    });
    expect(parseProxyHeader(noEnd)).toMatchObject({ status: 'invalid' });
  });

  it.each([
    ['a bare LF', 'PROXY TCP4 203.0.113.7 192.0.2.1 1 2\n'],
    ['an unknown protocol', 'PROXY UDP4 203.0.113.7 192.0.2.1 1 2\r\n'],
    ['lower case', 'PROXY tcp4 203.0.113.7 192.0.2.1 1 2\r\n'],
    ['an IPv6 address in TCP4', 'PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n'],
    ['an IPv4 address in TCP6', 'PROXY TCP6 203.0.113.7 2001:db8::1 1 2\r\n'],
    ['a host name', 'PROXY TCP4 client.example 192.0.2.1 1 2\r\n'],
    ['a zone id', 'PROXY TCP6 fe80::1%eth0 fe80::2 1 2\r\n'],
    ['a port above 65535', 'PROXY TCP4 203.0.113.7 192.0.2.1 65536 2\r\n'],
    ['a negative port', 'PROXY TCP4 203.0.113.7 192.0.2.1 -1 2\r\n'],
    ['a port with a leading zero', 'PROXY TCP4 203.0.113.7 192.0.2.1 01 2\r\n'],
    ['a missing field', 'PROXY TCP4 203.0.113.7 192.0.2.1 1\r\n'],
    ['an extra field', 'PROXY TCP4 203.0.113.7 192.0.2.1 1 2 3\r\n'],
    ['two spaces', 'PROXY TCP4  203.0.113.7 192.0.2.1 1 2\r\n'],
    ['a control byte', 'PROXY TCP4 203.0.113.7\t192.0.2.1 1 2\r\n'],
    ['no protocol', 'PROXY \r\n'],
  ])('refuses a header with %s', (_what, line) => {
    expect(parseProxyHeader(ascii(line))).toMatchObject({ status: 'invalid' });
  });
});

describe('PROXY protocol v2', () => {
  it('reads a PROXY command for TCP over IPv4, skipping the TLVs', () => {
    const bytes = v2Header({
      source: { ip: '203.0.113.7', port: 40001 },
      destination: { ip: '192.0.2.1', port: 5223 },
      // PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY, PP2_TYPE_NOOP (empty)
      tlvs: [
        [0x01, ascii('xmpp-client')],
        [0x02, ascii('chat.example.org')],
        [0x04, Buffer.alloc(0)],
      ],
    });
    const result = parseProxyHeader(Buffer.concat([bytes, Buffer.from([0x16, 0x03, 0x01])]));
    expect(result).toEqual({
      status: 'done',
      length: bytes.length,
      header: {
        version: 2,
        command: 'proxy',
        source: { ip: '203.0.113.7', port: 40001 },
        destination: { ip: '192.0.2.1', port: 5223 },
        tlvTypes: [0x01, 0x02, 0x04],
      },
    });
  });

  it('reads a PROXY command for TCP over IPv6, in node:net notation', () => {
    const cases: [string, string][] = [
      ['2001:db8::7', '2001:db8::7'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['::ffff:198.51.100.4', '::ffff:198.51.100.4'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['::', '::'],
      ['fe80::', 'fe80::'],
    ];
    for (const [written, read] of cases) {
      const result = parseProxyHeader(
        v2Header({ source: { ip: written, port: 1 }, destination: { ip: '::1', port: 5222 } }),
      );
      expect(result, written).toMatchObject({
        status: 'done',
        header: { command: 'proxy', source: { ip: read, port: 1 }, destination: { ip: '::1' } },
      });
    }
  });

  it('is incomplete at every split position, including inside the TLVs', () => {
    const bytes = v2Header({
      source: { ip: '2001:db8::99', port: 1234 },
      destination: { ip: '2001:db8::1', port: 5222 },
      tlvs: [[0x05, Buffer.from('unique-id')]],
    });
    expect(parseGrowing(bytes)).toMatchObject({
      status: 'done',
      length: bytes.length,
      header: { source: { ip: '2001:db8::99', port: 1234 } },
    });
  });

  it('takes LOCAL as "keep the socket address", whatever its block holds', () => {
    const local = v2Header({ command: 0x0, family: 0x00, block: Buffer.alloc(0) });
    expect(parseProxyHeader(local)).toEqual({
      status: 'done',
      length: 16,
      header: { version: 2, command: 'local' },
    });
    const withAddresses = v2Header({
      command: 0x0,
      source: { ip: '203.0.113.7', port: 1 },
      destination: { ip: '192.0.2.1', port: 2 },
    });
    expect(parseProxyHeader(withAddresses)).toMatchObject({
      status: 'done',
      length: 28,
      header: { command: 'local' },
    });
    expect(parseProxyHeader(withAddresses).status).toBe('done');
  });

  it('keeps the socket address for AF_UNSPEC, AF_UNIX and non-stream protocols', () => {
    const unspec = v2Header({ family: 0x00, block: Buffer.alloc(0) });
    expect(parseProxyHeader(unspec)).toMatchObject({
      status: 'done',
      header: { command: 'local' },
    });
    const unix = v2Header({ family: 0x31, block: Buffer.alloc(216, 0x61) });
    expect(parseProxyHeader(unix)).toMatchObject({
      status: 'done',
      length: 16 + 216,
      header: { command: 'local' },
    });
    const udp = v2Header({
      family: 0x12,
      source: { ip: '203.0.113.7', port: 1 },
      destination: { ip: '192.0.2.1', port: 2 },
    });
    expect(parseProxyHeader(udp)).toMatchObject({ status: 'done', header: { command: 'local' } });
  });

  it('reads as much as the length field says, up to 65535 bytes of block', () => {
    const big = v2Header({
      source: { ip: '203.0.113.7', port: 1 },
      destination: { ip: '192.0.2.1', port: 2 },
      tlvs: [[0x04, Buffer.alloc(65535 - 12 - 3)]],
    });
    expect(big.length).toBe(16 + 65535);
    expect(parseProxyHeader(big.subarray(0, big.length - 1))).toEqual({ status: 'incomplete' });
    expect(parseProxyHeader(big)).toMatchObject({ status: 'done', length: 16 + 65535 });
  });

  it.each([
    ['version 1 in the binary form', { verCmd: 0x11 }],
    ['version 3', { verCmd: 0x31 }],
    ['an unknown command', { verCmd: 0x22 }],
    ['an unknown family', { family: 0x41 }],
    ['an unknown protocol', { family: 0x13 }],
    ['an IPv4 block too short', { family: 0x11, block: Buffer.alloc(11) }],
    ['an IPv6 block too short', { family: 0x21, block: Buffer.alloc(35) }],
    ['an AF_UNIX block too short', { family: 0x31, block: Buffer.alloc(100) }],
    ['a TLV running past the end', { tlvRaw: Buffer.from([0x01, 0x00, 0x05, 0x61]) }],
    ['a truncated TLV header', { tlvRaw: Buffer.from([0x01, 0x00]) }],
  ])('refuses a header with %s', (_what, fields) => {
    const bytes = v2Header({
      source: { ip: '203.0.113.7', port: 1 },
      destination: { ip: '192.0.2.1', port: 2 },
      ...fields,
    });
    expect(parseProxyHeader(bytes)).toMatchObject({ status: 'invalid' });
  });

  it('refuses a bad version or command as soon as the fixed part is there', () => {
    const bytes = Buffer.concat([V2_SIGNATURE, Buffer.from([0x25, 0x11, 0x00, 0x0c])]);
    expect(parseProxyHeader(bytes)).toMatchObject({ status: 'invalid' });
  });
});

describe('data that is no PROXY header', () => {
  it.each([
    ['an XMPP stream', "<?xml version='1.0'?><stream:stream>"],
    ['a TLS ClientHello', '\x16\x03\x01\x02\x00\x01'],
    ['an HTTP request', 'GET / HTTP/1.1\r\n'],
    ['a near miss of v1', 'PROXX TCP4'],
    ['a near miss of v2', '\r\n\r\n\x00\r\nQUIZ\n'],
    ['v1 without its space', 'PROXY\r\n'],
  ])('refuses %s at the first byte that differs', (_what, text) => {
    const bytes = ascii(text);
    const result = parseGrowing(bytes);
    expect(result.status).toBe('invalid');
  });

  it('says "missing" when the first bytes match neither signature', () => {
    expect(parseProxyHeader(ascii('<'))).toMatchObject({ status: 'invalid', missing: true });
    expect(parseProxyHeader(ascii('\x16'))).toMatchObject({ status: 'invalid', missing: true });
    expect(parseProxyHeader(ascii('PROXX'))).toMatchObject({ status: 'invalid', missing: true });
    // A header that starts right but goes wrong is invalid, not missing.
    expect(parseProxyHeader(ascii('PROXY TCP9 \r\n'))).toMatchObject({ status: 'invalid' });
    expect(parseProxyHeader(ascii('PROXY TCP9 \r\n'))).not.toHaveProperty('missing');
  });

  it('waits on nothing at all', () => {
    expect(parseProxyHeader(Buffer.alloc(0))).toEqual({ status: 'incomplete' });
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 600; i++) {
      const prefix = i % 3 === 0 ? V2_SIGNATURE : i % 3 === 1 ? ascii('PROXY ') : Buffer.alloc(0);
      const tail = Buffer.alloc(next() % 120, 0).map(() => next() & 0xff);
      expect(() => parseProxyHeader(Buffer.concat([prefix, tail]))).not.toThrow();
    }
  });
});
