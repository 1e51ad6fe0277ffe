/**
 * XMPP over WebSocket (RFC 7395) end to end on the all-in-one server, with
 * unmodified client libraries talking to TCP clients: @xmpp/client over
 * ws:// and wss://, Strophe.js in Node (its Node build uses `ws` and
 * @xmldom/xmldom), XEP-0198 resumption across transports with @xmpp/client
 * (TCP -> WebSocket -> TCP), and Converse.js in headless Chromium (skipped,
 * saying why, when Chromium is not installed).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $msg, $pres, Strophe } from 'strophe.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import {
  findChromium,
  findConverseDist,
  launchChromium,
  serveConverse,
  stopChromium,
} from './converse-harness.js';
import { WAIT, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect, hideSasl2, waitFor } from './xmppjs.js';
import type { ConnectOptions, XmppClient } from './xmppjs.js';

// @xmpp/websocket uses the WHATWG WebSocket global, which Node 20 has only behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;

/** The parts of @xmpp/stream-management's state this test reads and carries over. */
interface SmState {
  enabled: boolean;
  id: string;
  /** Stanzas received (what we acknowledge) and sent (what the server acknowledges). */
  inbound: number;
  outbound: number;
  /** Sent stanzas not acknowledged yet. */
  outbound_q: unknown[];
  once(event: 'resumed', fn: () => void): void;
}

/** What this test reads from the DOM elements Strophe.js hands over (@xmldom/xmldom in Node). */
interface DomElement {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<{ textContent: string | null }>;
}

function smOf(c: XmppClient): SmState {
  return (c as unknown as { streamManagement: SmState }).streamManagement;
}

/** For vi.waitFor: the value once there, else a throw naming what is still missing. */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`waiting for ${what}`);
  return value;
}

function chat(to: string, id: string, body: string): Element {
  return xml('message', { to, id, type: 'chat' }, xml('body', {}, body));
}

describe('XMPP over WebSocket end to end', () => {
  let t: TestServer;
  let wsUrl: string;
  let wssUrl: string;
  const clients: XmppClient[] = [];
  const open = async (username: string, opts: Partial<ConnectOptions> = {}) => {
    const c = await connect({ port: t.port, username, ...opts });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestServer({
      // ws:// on loopback counts as encrypted here, as behind a TLS-terminating proxy.
      websocket: {
        enabled: true,
        port: 0,
        tlsPort: 0,
        host: '127.0.0.1',
        tlsHost: '127.0.0.1',
        plainIsSecure: true,
      },
      sm: { resumeTimeoutMs: 60_000 },
    });
    const ports = t.server.gateway.ports;
    wsUrl = `ws://127.0.0.1:${ports.websocket}/xmpp-websocket`;
    wssUrl = `wss://127.0.0.1:${ports.websocketTls}/xmpp-websocket`;
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await t.addUser(u);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  it('@xmpp/client over ws:// logs in (SCRAM-SHA-1 and -256) and chats with a TCP client', async () => {
    const web = await open('alice', { service: wsUrl, resource: 'web' });
    expect(web.jid?.toString()).toBe('alice@localhost/web');
    const web256 = await open('alice', {
      service: wsUrl,
      resource: 'web256',
      mechanism: 'SCRAM-SHA-256',
    });
    expect(web256.jid?.toString()).toBe('alice@localhost/web256');
    await web256.stop();
    const tcp = await open('bob', { resource: 'desk' });

    const atTcp = waitFor(tcp, (el) => el.is('message') && el.attrs.id === 'w2t');
    await web.send(chat('bob@localhost/desk', 'w2t', 'from the browser'));
    const m1 = await atTcp;
    expect(m1.attrs.from).toBe('alice@localhost/web');
    expect(m1.getChildText('body')).toBe('from the browser');

    const atWeb = waitFor(web, (el) => el.is('message') && el.attrs.id === 't2w');
    await tcp.send(chat('alice@localhost/web', 't2w', 'from TCP'));
    const m2 = await atWeb;
    expect(m2.attrs.from).toBe('bob@localhost/desk');
    expect(m2.getChildText('body')).toBe('from TCP');

    // Server IQs work the same (roster, answered by the session registry).
    const roster = await web.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
    expect(roster.is('query', 'jabber:iq:roster')).toBe(true);
    await web.stop();
    await tcp.stop();
  });

  it('@xmpp/client over wss:// (the c2s certificate) chats with a TCP client', async () => {
    const web = await open('carol', { service: wssUrl, resource: 'tls' });
    const tcp = await open('dave', { resource: 'desk' });
    const atTcp = waitFor(tcp, (el) => el.is('message') && el.attrs.id === 's1');
    await web.send(chat('dave@localhost/desk', 's1', 'over wss'));
    expect((await atTcp).attrs.from).toBe('carol@localhost/tls');
    const atWeb = waitFor(web, (el) => el.is('message') && el.attrs.id === 's2');
    await tcp.send(chat('carol@localhost/tls', 's2', 'back'));
    expect((await atWeb).getChildText('body')).toBe('back');
    const metrics = await t.server.metrics.text();
    expect(metrics).toMatch(/parley_c2s_connections\{[^}]*transport="wss"[^}]*\} 1\b/);
    await web.stop();
    await tcp.stop();
  });

  it('Strophe.js over ws:// in Node logs in, sends presence and chats with a TCP client', async () => {
    const tcp = await open('frank', { resource: 'desk' });
    Strophe.setLogLevel(Strophe.LogLevel.ERROR);
    const conn = new Strophe.Connection(wsUrl);
    const received: DomElement[] = [];
    conn.addHandler(
      (el: DomElement) => {
        received.push(el);
        return true;
      },
      null,
      'message',
    );
    const statuses: number[] = [];
    const connected = new Promise<void>((resolve, reject) => {
      conn.connect('erin@localhost/strophe', 'secret', (status: number) => {
        statuses.push(status);
        if (status === Strophe.Status.CONNECTED) resolve();
        if (status === Strophe.Status.CONNFAIL || status === Strophe.Status.AUTHFAIL) {
          reject(new Error(`Strophe could not connect (status ${status})`));
        }
      });
    });
    try {
      await connected;
      expect(conn.jid).toBe('erin@localhost/strophe');
      conn.send($pres());
      const atTcp = waitFor(tcp, (el) => el.is('message') && el.attrs.id === 'st1');
      conn.send(
        $msg({ to: 'frank@localhost/desk', type: 'chat', id: 'st1' })
          .c('body')
          .t('hi from Strophe'),
      );
      const m = await atTcp;
      expect(m.attrs.from).toBe('erin@localhost/strophe');
      expect(m.getChildText('body')).toBe('hi from Strophe');

      await tcp.send(chat('erin@localhost/strophe', 'st2', 'hi Strophe'));
      const back = await vi.waitFor(
        () =>
          present(
            received.find((el) => el.getAttribute('id') === 'st2'),
            'the message at Strophe',
          ),
        WAIT,
      );
      expect(back.getElementsByTagName('body')[0]?.textContent).toBe('hi Strophe');
    } finally {
      const disconnected = new Promise<void>((resolve) => {
        conn.connect_callback = (status: number) => {
          if (status === Strophe.Status.DISCONNECTED) resolve();
        };
      });
      conn.disconnect('done');
      // A cap on teardown, not a wait for anything.
      await Promise.race([disconnected, new Promise((r) => setTimeout(r, 2_000))]);
      await tcp.stop();
    }
  });

  it('XEP-0198: @xmpp/client resumes a TCP session over WebSocket, then that one over TCP', async () => {
    const gateway = t.server.gateway;
    const sender = await open('bob', { resource: 'sender' });
    const carol = await open('carol', { resource: 'roam' });
    await vi.waitFor(() => {
      expect(smOf(carol).enabled).toBe(true);
      expect(smOf(carol).id).not.toBe('');
    }, WAIT);

    const first = waitFor(carol, (el) => el.attrs.id === 'r1');
    await sender.send(chat('carol@localhost/roam', 'r1', 'one'));
    await first;

    // The TCP connection drops without a closing stream: the session waits for resumption.
    const carry = (c: XmppClient) => ({
      id: smOf(c).id,
      inbound: smOf(c).inbound,
      outbound: smOf(c).outbound,
      outbound_q: [...smOf(c).outbound_q],
    });
    let state = carry(carol);
    // (@xmpp/client wraps the TLSSocket it upgraded to after STARTTLS.)
    (carol as unknown as { socket: { socket: Socket } }).socket.socket.destroy();
    await vi.waitFor(() => expect(gateway.detachedCount()).toBe(1), WAIT);
    await sender.send(chat('carol@localhost/roam', 'r2', 'while away'));

    // A new @xmpp/client over WebSocket takes the session over with the SM-ID.
    const overWs = client({
      service: wsUrl,
      domain: 'localhost',
      username: 'carol',
      password: 'secret',
    });
    clients.push(overWs);
    // RFC 6120 SASL, then XEP-0198 <resume/>, like the session it takes over.
    hideSasl2(overWs);
    overWs.on('error', () => undefined);
    overWs.reconnect.stop();
    Object.assign(smOf(overWs), state);
    const resumed = new Promise<void>((resolve) => smOf(overWs).once('resumed', resolve));
    const retransmitted = waitFor(overWs, (el) => el.attrs.id === 'r2');
    // start() resolves on 'online', which @xmpp/client does not emit for a resumed stream.
    void overWs.start().catch(() => undefined);
    await resumed;
    expect((await retransmitted).getChildText('body')).toBe('while away');
    expect(gateway.detachedCount()).toBe(0);
    const fromWs = waitFor(sender, (el) => el.attrs.id === 'r3');
    await overWs.send(chat('bob@localhost/sender', 'r3', 'resumed over WebSocket'));
    expect((await fromWs).attrs.from).toBe('carol@localhost/roam');

    // Now the WebSocket drops, and TCP resumes the same session.
    state = carry(overWs);
    expect(state.id).toBe(smOf(carol).id);
    (overWs as unknown as { socket: { socket: WsWebSocket } }).socket.socket.terminate();
    await vi.waitFor(() => expect(gateway.detachedCount()).toBe(1), WAIT);
    await sender.send(chat('carol@localhost/roam', 'r4', 'while away again'));
    const overTcp = client({
      service: `xmpp://127.0.0.1:${t.port}`,
      domain: 'localhost',
      username: 'carol',
      password: 'secret',
    });
    clients.push(overTcp);
    hideSasl2(overTcp);
    overTcp.on('error', () => undefined);
    overTcp.reconnect.stop();
    Object.assign(smOf(overTcp), state);
    const again = waitFor(overTcp, (el) => el.attrs.id === 'r4');
    const resumedOverTcp = new Promise<void>((resolve) => smOf(overTcp).once('resumed', resolve));
    void overTcp.start().catch(() => undefined);
    await resumedOverTcp;
    expect((await again).getChildText('body')).toBe('while away again');
    expect(await t.server.metrics.text()).toMatch(
      /parley_sm_resumptions_total\{[^}]*result="success"[^}]*\} 2\b/,
    );
    await overTcp.stop();
    await sender.stop();
  });

  describe('Converse.js in headless Chromium', () => {
    const chromium = findChromium();
    const converseDist = findConverseDist();
    const skip =
      chromium === undefined
        ? 'Chromium is not installed (apt-get install chromium, or set CHROMIUM_BIN)'
        : converseDist === undefined
          ? 'converse.js is not installed in node_modules'
          : undefined;
    if (skip !== undefined) {
      console.log(`skipping the Converse.js browser test: ${skip}`);
    }

    it.skipIf(skip !== undefined)(
      'logs in over ws:// and exchanges messages with a TCP client',
      { timeout: 90_000 },
      async () => {
        const bob = await open('bob', { resource: 'tcp' });
        const reports: Record<string, string>[] = [];
        const site = await serveConverse(converseDist!, { websocket_url: wsUrl }, (r) =>
          reports.push(r),
        );
        const profile = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
        let browser: ChildProcess | undefined;
        try {
          const atBob = waitFor(
            bob,
            (el) => el.is('message') && el.getChildText('body') === 'hello from Converse.js',
            60_000,
          );
          browser = launchChromium(chromium!, profile, site.url);
          const connected = await vi.waitFor(
            () =>
              present(
                reports.find((r) => r['event'] === 'connected' || r['event'] === 'error'),
                'Converse.js to connect',
              ),
            { ...WAIT, timeout: 60_000 },
          );
          expect(connected).toMatchObject({ event: 'connected', jid: 'alice@localhost/converse' });
          const m = await atBob;
          expect(m.attrs.from).toBe('alice@localhost/converse');

          await bob.send(chat('alice@localhost/converse', 'cv2', 'hello Converse.js'));
          const got = await vi.waitFor(
            () =>
              present(
                reports.find((r) => r['event'] === 'message' && r['body'] === 'hello Converse.js'),
                'the message to show up in Converse.js',
              ),
            { ...WAIT, timeout: 30_000 },
          );
          expect(got['from']).toBe('bob@localhost/tcp');
          expect(reports.filter((r) => r['event'] === 'error')).toEqual([]);
        } finally {
          stopChromium(browser);
          await new Promise((r) => site.server.close(r));
          rmSync(profile, { recursive: true, force: true });
          await bob.stop();
        }
      },
    );
  });
});
