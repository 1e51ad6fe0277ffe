/**
 * Per-address connection limits (issue 15) on a real gateway: unauthenticated
 * connections held from one address cannot keep a real client of that
 * address out (the oldest is evicted, never the newcomer), authenticated
 * sessions are capped separately and never evicted, and TLS handshakes on
 * the direct TLS and wss:// listeners count as unauthenticated connections.
 * WebSocket and BOSH streams: src/websocket/websocket-gateway.test.ts and
 * test/bosh.test.ts.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { client as xmppClient, xml } from '@xmpp/client';
import { WebSocket as WsWebSocket } from 'ws';
import { NS_STREAM, NS_STREAMS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness, HarnessOptions } from './helpers/harness.js';

// The generated certificate is self-signed; @xmpp/client has no TLS options for STARTTLS.
process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
// @xmpp/websocket uses the WHATWG WebSocket global, which Node 20 has only behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;

const STREAM_HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAM}' to='localhost' version='1.0'>`;

/** A TCP connection that opens a stream (or only connects) and then holds it, saying nothing more. */
interface Held {
  socket: Socket;
  received: string;
  closed: boolean;
}

async function hold(port: number, header = STREAM_HEADER): Promise<Held> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  const held: Held = { socket, received: '', closed: false };
  socket.on('data', (d: Buffer) => (held.received += d.toString('utf8')));
  socket.on('close', () => (held.closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (header !== '') socket.write(header);
  return held;
}

function limitCount(h: Harness, action: string): Promise<number> {
  return h.metrics.registry
    .getSingleMetric('parley_c2s_address_limit_total')!
    .get()
    .then((m) => m.values.find((v) => v.labels['action'] === action)?.value ?? 0);
}

const harnesses: Harness[] = [];
const sockets: Socket[] = [];
async function harness(configure: HarnessOptions['configure'], opts: HarnessOptions = {}) {
  const h = await startHarness({ ...opts, configure });
  harnesses.push(h);
  await h.createAccount('alice', 'secret');
  return h;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const h of harnesses.splice(0)) await h.close();
});

describe('unauthenticated connections per address', () => {
  it('200 unauthenticated connections held from one address do not keep a real client of that address out', async () => {
    // The defaults, as shipped.
    const h = await harness((c) => {
      c.c2s.maxUnauthenticatedPerAddress = 100;
      c.c2s.maxSessionsPerAddress = 10_000;
    });
    const held: Held[] = [];
    for (let batch = 0; batch < 4; batch++) {
      held.push(...(await Promise.all(Array.from({ length: 50 }, () => hold(h.port)))));
    }
    for (const x of held) sockets.push(x.socket);
    // The oldest 100 made room for the newest 100, each with a stream error saying why.
    await vi.waitFor(() => expect(held.filter((x) => x.closed)).toHaveLength(100), WAIT);
    const evicted = held.find((x) => x.closed)!;
    expect(evicted.received).toContain('<policy-violation');
    expect(evicted.received).toContain('too many unauthenticated connections from your address');
    expect(held.slice(100).every((x) => !x.closed)).toBe(true);

    // A real client from the same address logs in (STARTTLS, SASL2, Bind2) and sends a message.
    const xmpp = xmppClient({
      service: `xmpp://127.0.0.1:${h.port}`,
      domain: 'localhost',
      username: 'alice',
      password: 'secret',
      resource: 'phone',
    });
    xmpp.on('error', () => undefined);
    const jid = (await xmpp.start()).toString();
    expect(jid).toMatch(/^alice@localhost\/phone/);
    await xmpp.send(xml('message', { to: 'bob@localhost', id: 'through', type: 'chat' }));
    await h.registry.waitFor('stanza', (m) => m.env.id === 'through');
    expect(await limitCount(h, 'evicted')).toBe(101);
    xmpp.reconnect.stop();
    await xmpp.stop();
  });

  it('never evicts an authenticated stream, however many newcomers arrive', async () => {
    const h = await harness((c) => (c.c2s.maxUnauthenticatedPerAddress = 1));
    const { client } = await h.login('alice', 'secret', 'desk');
    const newcomers = [await hold(h.port), await hold(h.port), await hold(h.port)];
    for (const x of newcomers) sockets.push(x.socket);
    await vi.waitFor(() => expect(newcomers.filter((x) => x.closed)).toHaveLength(2), WAIT);
    client.send(`<message to='bob@localhost' id='alive'/>`);
    await h.registry.waitFor('stanza', (m) => m.env.id === 'alive');
    expect(client.socketClosed).toBe(false);
  });

  it('a wss:// stream stops counting for its TCP connection at the upgrade: once authenticated, newcomers do not evict it', async () => {
    const h = await harness((c) => {
      c.c2s.maxUnauthenticatedPerAddress = 1;
      c.websocket.enabled = true;
      c.websocket.listeners = ['wss'];
      c.websocket.tlsPort = 0;
      c.websocket.tlsHost = '127.0.0.1';
    });
    const port = h.gateway.ports.websocketTls!;
    const xmpp = xmppClient({
      service: `wss://127.0.0.1:${port}/xmpp-websocket`,
      domain: 'localhost',
      username: 'alice',
      password: 'secret',
      resource: 'browser',
    });
    xmpp.on('error', () => undefined);
    await xmpp.start();
    const newcomers = [await hold(port, ''), await hold(port, ''), await hold(port, '')];
    for (const x of newcomers) sockets.push(x.socket);
    await vi.waitFor(() => expect(newcomers.filter((x) => x.closed)).toHaveLength(2), WAIT);
    await xmpp.send(xml('message', { to: 'bob@localhost', id: 'wss-alive', type: 'chat' }));
    await h.registry.waitFor('stanza', (m) => m.env.id === 'wss-alive');
    expect(await limitCount(h, 'evicted')).toBe(2);
    xmpp.reconnect.stop();
    await xmpp.stop();
  });

  it('counts TLS handshakes on the direct TLS and wss:// listeners, and evicts them with a plain close', async () => {
    const h = await harness(
      (c) => {
        c.c2s.maxUnauthenticatedPerAddress = 2;
        c.websocket.enabled = true;
        c.websocket.listeners = ['wss'];
        c.websocket.tlsPort = 0;
        c.websocket.tlsHost = '127.0.0.1';
      },
      { directTls: true },
    );
    for (const port of [h.gateway.ports.directTls!, h.gateway.ports.websocketTls!]) {
      // TCP connections that never send a ClientHello (the handshake timeout is 10 s).
      const silent = [await hold(port, ''), await hold(port, '')];
      for (const x of silent) sockets.push(x.socket);
      const third = await hold(port, '');
      sockets.push(third.socket);
      await vi.waitFor(() => expect(silent[0]!.closed).toBe(true), WAIT);
      expect(silent[0]!.received).toBe('');
      expect(silent[1]!.closed).toBe(false);
      expect(third.closed).toBe(false);
      for (const x of [silent[1]!, third]) x.socket.destroy();
    }
  });
});

describe('authenticated sessions per address', () => {
  it('refuses a login over c2s.maxSessionsPerAddress with policy-violation and leaves open sessions alone', async () => {
    const h = await harness((c) => (c.c2s.maxSessionsPerAddress = 2));
    const first = await h.login('alice', 'secret', 'one');
    const second = await h.login('alice', 'secret', 'two');

    const third = await h.connect();
    await third.open();
    await third.starttls();
    await third.open();
    const outcome = await third.scram('alice', 'secret');
    expect(streamErrorOf(outcome)).toEqual({
      condition: 'policy-violation',
      text: 'too many sessions from your address (the limit is 2)',
    });
    await third.closed();
    expect(await limitCount(h, 'session-refused')).toBe(1);

    for (const [i, s] of [first, second].entries()) {
      s.client.send(`<message to='bob@localhost' id='still-${i}'/>`);
      await h.registry.waitFor('stanza', (m) => m.env.id === `still-${i}`);
      expect(s.client.socketClosed).toBe(false);
    }
    // A session that ends makes room for the next login.
    second.client.close();
    await h.registry.waitFor('unbind', (u) => u.jid === second.jid);
    await h.login('alice', 'secret', 'three');
  });
});

function streamErrorOf(el: Element): { condition: string; text: string } | undefined {
  if (!el.is('error', NS_STREAM)) return undefined;
  const children = el.getChildElements().filter((c) => c.getNS() === NS_STREAMS);
  return {
    condition: children.find((c) => c.localName !== 'text')?.localName ?? '',
    text: children.find((c) => c.localName === 'text')?.text() ?? '',
  };
}
