/**
 * The PROXY protocol on the real listeners (STARTTLS port and direct TLS):
 * the client address of a trusted header is what the per-address limit,
 * the login throttle and the logs see; untrusted peers and trusted peers
 * without a header are refused.
 */
import { isIPv4, connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProxyEndpoint } from '../src/proxy/header.js';
import { v1Header, v2Header } from './helpers/proxy-headers.js';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import type { TestClient } from './helpers/test-client.js';

/** The balancer's front address, in the family of the client's. */
const front = (port: number, family: 'ipv4' | 'ipv6' = 'ipv4'): ProxyEndpoint => ({
  ip: family === 'ipv4' ? '192.0.2.1' : '2001:db8:f::1',
  port,
});
type Version = 'v1' | 'v2';
const headerFor = (version: Version, source: ProxyEndpoint, port: number): Buffer =>
  version === 'v1'
    ? v1Header(source, front(port, familyOf(source)))
    : v2Header({
        source,
        destination: front(port, familyOf(source)),
        tlvs: [[0x01, Buffer.from('xmpp-client')]],
      });
const familyOf = (e: ProxyEndpoint): 'ipv4' | 'ipv6' => (isIPv4(e.ip) ? 'ipv4' : 'ipv6');

interface LogLine {
  msg: string;
  [field: string]: unknown;
}
const logLines = (h: Harness, msg: string): LogLine[] =>
  h.logs.map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === msg);

async function metric(h: Harness, result: string): Promise<number> {
  const text = await h.metrics.text();
  const m = new RegExp(`parley_c2s_proxy_headers_total\\{result="${result}"\\} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** A raw connection that sends `data` and reports what it received before the server closed it. */
async function refused(
  port: number,
  data: Buffer | string,
): Promise<{ received: string; closed: boolean }> {
  const socket: Socket = netConnect({ port, host: '127.0.0.1' });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(data);
  await new Promise((resolve) => socket.once('close', resolve));
  return { received, closed: true };
}

describe('PROXY protocol from a trusted load balancer', () => {
  let h: Harness;
  const open: TestClient[] = [];
  beforeAll(async () => {
    h = await startHarness({
      directTls: true,
      configure: (c) => {
        c.c2s.proxyProtocol = true;
        c.c2s.proxyTrustedAddresses = ['127.0.0.0/8', '::1'];
        c.c2s.maxUnauthenticatedPerAddress = 1;
      },
    });
    await h.createAccount('dave', 'secret');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await h.close();
  });

  const listeners = [
    ['STARTTLS', false],
    ['direct TLS', true],
  ] as const;
  const versions: Version[] = ['v1', 'v2'];
  let nextClient = 10;

  describe.each(listeners)('on the %s listener', (_name, tls) => {
    it.each(versions)(
      'sees a client behind a %s header with the address of the header',
      async (version) => {
        const client = { ip: `203.0.113.${nextClient++}`, port: 40_000 + nextClient };
        const port = tls ? h.gateway.ports.directTls! : h.port;
        const proxyHeader = headerFor(version, client, port);
        const first = await h.connect({ tls, proxyHeader });
        open.push(first);
        await first.open();
        const opened = logLines(h, 'client connection opened').find((l) => l['ip'] === client.ip);
        expect(opened).toMatchObject({
          ip: client.ip,
          port: client.port,
          via: '127.0.0.1',
          transport: tls ? 'tls' : 'tcp',
        });

        // c2s.maxUnauthenticatedPerAddress = 1 counts the header's address, not the
        // balancer's: a second client from the same address takes the first one's place ...
        const second = await h.connect({ tls, proxyHeader });
        open.push(second);
        await second.open();
        expect(await first.streamError()).toBe('policy-violation');
        // ... while another client through the same balancer evicts nobody.
        const other = { ip: '2001:db8:0:' + (nextClient++).toString(16) + '::1', port: 5000 };
        const third = await h.connect({ tls, proxyHeader: headerFor(version, other, port) });
        open.push(third);
        await third.open();
        expect(logLines(h, 'client connection opened').map((l) => l['ip'])).toContain(other.ip);
        second.send(`<iq type='get' id='still-open'/>`);
        expect(await second.streamError()).toBe('not-authorized');
      },
    );
  });

  it('throttles and logs failed logins by the address of the header', async () => {
    const client = { ip: '198.51.100.77', port: 1234 };
    const c = await h.connect({ proxyHeader: headerFor('v2', client, h.port) });
    open.push(c);
    await c.open();
    await c.starttls();
    await c.open();
    const outcome = await c.scram('dave', 'wrong');
    expect(outcome.localName).toBe('failure');
    expect(logLines(h, 'client authentication failed').at(-1)).toMatchObject({
      ip: client.ip,
    });
  });

  it('reads a header sent in the same packet as the stream header', async () => {
    const client = { ip: '198.51.100.78', port: 1 };
    const stream = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;
    const c = await h.connect({
      proxyHeader: Buffer.concat([headerFor('v1', client, h.port), Buffer.from(stream)]),
    });
    open.push(c);
    const features = await c.next();
    expect(features.localName).toBe('features');
    expect(logLines(h, 'client connection opened').map((l) => l['ip'])).toContain(client.ip);
  });

  it('reads a header that arrives alone, before the client says anything, on both listeners', async () => {
    for (const tls of [false, true]) {
      const port = tls ? h.gateway.ports.directTls! : h.port;
      const client = { ip: tls ? '198.51.100.80' : '198.51.100.79', port: 2 };
      const before = await metric(h, 'proxy');
      const raw = netConnect({ port, host: '127.0.0.1' });
      raw.on('error', () => undefined);
      raw.write(headerFor('v2', client, port));
      // The gateway has read the header (and nothing after it) before the client goes on.
      await vi.waitFor(async () => expect(await metric(h, 'proxy')).toBe(before + 1));
      let socket: Socket = raw;
      if (tls) {
        socket = tlsConnect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
        await new Promise((resolve) => socket.once('secureConnect', resolve));
      }
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`,
      );
      await vi.waitFor(() => expect(received).toContain('</stream:features>'));
      expect(logLines(h, 'client connection opened').map((l) => l['ip'])).toContain(client.ip);
      socket.destroy();
    }
  });

  it('keeps the balancer address for a LOCAL header (a health check)', async () => {
    const before = await metric(h, 'local');
    const c = await h.connect({
      proxyHeader: v2Header({ command: 0x0, family: 0x00, block: Buffer.alloc(0) }),
    });
    await c.open();
    expect(await metric(h, 'local')).toBe(before + 1);
    c.close();
    await vi.waitFor(() =>
      expect(logLines(h, 'client connection closed').some((l) => l['ip'] === '127.0.0.1')).toBe(
        true,
      ),
    );
  });

  it('refuses a trusted peer that sends no header, on both listeners', async () => {
    const missing = await metric(h, 'missing');
    const plain = await refused(h.port, `<?xml version='1.0'?><stream:stream>`);
    expect(plain.received).toBe('');
    // A TLS client without a header: its ClientHello is not a header either.
    const socket = tlsConnect({
      port: h.gateway.ports.directTls!,
      host: '127.0.0.1',
      rejectUnauthorized: false,
    });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/socket disconnected|ECONNRESET|closed/i);
    expect(await metric(h, 'missing')).toBe(missing + 2);
    expect(
      logLines(h, 'connection refused: bad PROXY protocol header').map((l) => l['listener']),
    ).toEqual(expect.arrayContaining(['tcp', 'tls']));
  });

  it('refuses a malformed header without disturbing the gateway', async () => {
    const invalid = await metric(h, 'invalid');
    const result = await refused(h.port, 'PROXY TCP4 203.0.113.1 192.0.2.1 99999 5222\r\n<?xml');
    expect(result.received).toBe('');
    const v2 = await refused(
      h.gateway.ports.directTls!,
      v2Header({ source: { ip: '203.0.113.1', port: 1 }, verCmd: 0x2f }),
    );
    expect(v2.received).toBe('');
    expect(await metric(h, 'invalid')).toBe(invalid + 2);
    // The gateway still serves clients.
    const c = await h.connect({
      proxyHeader: headerFor('v1', { ip: '203.0.113.99', port: 9 }, h.port),
    });
    open.push(c);
    await c.open();
  });
});

describe('PROXY protocol from an untrusted peer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      directTls: true,
      configure: (c) => {
        c.c2s.proxyProtocol = true;
        c.c2s.proxyTrustedAddresses = ['10.0.0.0/8'];
      },
    });
  });
  afterAll(() => h.close());

  it('closes the connection unread, whatever it sends, on both listeners', async () => {
    for (const port of [h.port, h.gateway.ports.directTls!]) {
      const result = await refused(port, v1Header({ ip: '203.0.113.5', port: 1 }, front(port)));
      expect(result.received).toBe('');
    }
    expect(await metric(h, 'untrusted')).toBe(2);
    expect(await metric(h, 'proxy')).toBe(0);
    expect(logLines(h, 'connection refused: not a trusted PROXY protocol peer')).toHaveLength(2);
    expect(logLines(h, 'client connection opened')).toHaveLength(0);
  });
});

describe('PROXY protocol header timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.c2s.proxyProtocol = true;
        c.c2s.proxyTrustedAddresses = ['127.0.0.1'];
        c.c2s.proxyHeaderTimeoutMs = 200;
      },
    });
  });
  afterAll(() => h.close());

  it('closes a trusted connection whose header does not complete in time', async () => {
    const result = await refused(h.port, 'PROXY TCP4 203.0.113.1');
    expect(result.received).toBe('');
    expect(await metric(h, 'timeout')).toBe(1);
  });
});
