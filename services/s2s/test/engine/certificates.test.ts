import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateMatches,
  dnsIdMatches,
  parseSubjectAltName,
  peerIdentity,
} from '../../src/engine/certificates.js';
import { makePki, serverSan } from './pki.js';
import type { TestFedPki } from './pki.js';

let pki: TestFedPki;

beforeAll(async () => {
  pki = await makePki([
    { name: 'a', san: serverSan('a.parley-fed.net') },
    { name: 'wild', san: 'DNS:*.w.parley-fed.net' },
    { name: 'xmpp-only', san: 'otherName:1.3.6.1.5.5.7.8.5;UTF8:x.parley-fed.net' },
    { name: 'srv', san: 'otherName:1.3.6.1.5.5.7.8.7;IA5:_xmpp-server.s.parley-fed.net' },
    { name: 'cn-only', subject: '/CN=cn.parley-fed.net' },
    { name: 'cn-with-san', subject: '/CN=cn.parley-fed.net', san: 'DNS:other.parley-fed.net' },
    { name: 'untrusted', san: serverSan('a.parley-fed.net'), ca: 'other' },
  ]);
});

afterAll(async () => {
  await pki?.remove();
});

const x509 = (name: string) => new X509Certificate(pki.certs[name]!.cert);

/** Whether the certificate `name` matches each domain, as `expected` says. */
function expectMatches(name: string, expected: Record<string, boolean>): void {
  for (const [domain, matches] of Object.entries(expected)) {
    expect(certificateMatches(x509(name), domain), `${name} ~ ${domain}`).toBe(matches);
  }
}

describe('certificate identity (RFC 6125)', () => {
  it('matches DNS-IDs and XmppAddr', () => {
    expectMatches('a', {
      'a.parley-fed.net': true,
      'A.Parley-Fed.Net.': true,
      'b.parley-fed.net': false,
    });
    expectMatches('xmpp-only', { 'x.parley-fed.net': true, 'cn.x.parley-fed.net': false });
  });

  it('allows a wildcard as the whole left-most label only', () => {
    expectMatches('wild', {
      'one.w.parley-fed.net': true,
      'w.parley-fed.net': false,
      'a.b.w.parley-fed.net': false,
    });
    expect(dnsIdMatches('f*.example.com', 'foo.example.com')).toBe(false);
    expect(dnsIdMatches('*.com', 'example.com')).toBe(false);
    expect(dnsIdMatches('a.*.example.com', 'a.b.example.com')).toBe(false);
  });

  it('matches SRV-IDs for _xmpp-server', () => {
    expectMatches('srv', { 's.parley-fed.net': true, 'other.parley-fed.net': false });
  });

  it('uses the CN only without SANs', () => {
    expectMatches('cn-only', { 'cn.parley-fed.net': true });
    expectMatches('cn-with-san', { 'cn.parley-fed.net': false, 'other.parley-fed.net': true });
  });

  it('parses quoted subjectAltName values', () => {
    expect(
      parseSubjectAltName('DNS:a.example, DNS:"x,y.example", othername:XmppAddr:b.example'),
    ).toEqual([
      { type: 'DNS', value: 'a.example' },
      { type: 'DNS', value: 'x,y.example' },
      { type: 'XmppAddr', value: 'b.example' },
    ]);
    expect(parseSubjectAltName(undefined)).toEqual([]);
  });
});

describe('peerIdentity over a TLS connection', () => {
  async function clientSees(serverCert: string, ca: string): Promise<TLSSocket> {
    const pem = pki.certs[serverCert]!;
    const server = createServer({ cert: pem.cert, key: pem.key }, (s) => {
      s.on('error', () => undefined);
      s.on('end', () => s.end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'a.parley-fed.net',
      ca,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    socket.on('error', () => undefined);
    await once(socket, 'secureConnect');
    server.close();
    return socket;
  }

  it('trusted and matching', async () => {
    const s = await clientSees('a', pki.ca);
    expect(peerIdentity(s, 'a.parley-fed.net')).toEqual({ trusted: true, matches: true });
    expect(peerIdentity(s, 'b.parley-fed.net')).toMatchObject({ trusted: true, matches: false });
    s.destroy();
  });

  it('untrusted chain', async () => {
    const s = await clientSees('untrusted', pki.ca);
    const id = peerIdentity(s, 'a.parley-fed.net');
    expect(id).toMatchObject({ trusted: false, matches: true });
    expect(id.reason).toMatch(/not trusted/);
    s.destroy();
  });
});
