/**
 * XMPP over WebSocket (RFC 7395) on a real gateway (fake registry, memory
 * stores): handshake policies, XEP-0156 host-meta, negotiation over ws://
 * and wss://, framing of our output, stream errors, keepalive, limits,
 * metrics, and XEP-0198 resumption across TCP and WebSocket.
 */
import { get as httpGet } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { Envelope, GatewayMessage } from '@parley/routing';
import { gatewaySubject } from '@parley/routing';
import { ScramClient, tlsChannelBinding } from '@parley/sasl';
import type { ChannelBindingType, ScramHash } from '@parley/sasl';
import { NS_BIND, NS_SASL, NS_STREAMS } from '@parley/stanza';
import { MemoryResumptionStore } from '@parley/store';
import { StreamFramer, xml } from '@parley/xml';
import type { Element, StreamHeader } from '@parley/xml';
import { WAIT, startHarness } from '../../test/helpers/harness.js';
import type { Harness } from '../../test/helpers/harness.js';
import { NS_SM, authenticate, deliver, receiveIds, storeState } from '../../test/helpers/sm.js';
import { boundJid } from '../../test/helpers/test-client.js';
import { Waiter } from '../../test/helpers/waiter.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const NS_STREAM = 'http://etherx.jabber.org/streams';

interface WsConnectOptions {
  protocols?: string[];
  origin?: string;
  autoPong?: boolean;
  path?: string;
}

/**
 * A raw RFC 7395 client: parses every message as a standalone document with
 * the project's framer (so a missing namespace declaration in our output is
 * a parse error here), keeps the raw text of every message.
 */
class WsClient {
  readonly raw: string[] = [];
  readonly opens: StreamHeader[] = [];
  readonly parseErrors: string[] = [];
  private readonly inbox: Element[] = [];
  streamClosed = false;
  closeCode: number | undefined;
  private readonly waiter = new Waiter(() => this.raw.join('\n'));
  private readonly framer: StreamFramer;
  /** The TLS socket under a wss:// connection. */
  tlsSocket: TLSSocket | undefined;

  private constructor(readonly ws: WebSocket) {
    this.framer = new StreamFramer(
      {
        streamOpen: (h) => this.push(() => this.opens.push(h)),
        stanza: (el) => this.push(() => this.inbox.push(el)),
        streamClose: () => this.push(() => (this.streamClosed = true)),
        error: (err) => this.push(() => this.parseErrors.push(err.condition ?? err.message)),
      },
      { mode: 'websocket', limits: { maxStanzaBytes: 16 * 1024 * 1024 } },
    );
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.raw.push(text);
      // Each message is its own document: a fresh parse, not a continued stream.
      this.framer.reset();
      this.framer.write(text);
    });
    ws.on('close', (code) => this.push(() => (this.closeCode = code)));
    ws.on('error', () => undefined);
  }

  static connect(url: string, opts: WsConnectOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(url, opts.protocols ?? ['xmpp'], {
      rejectUnauthorized: false,
      ...(opts.origin !== undefined && { origin: opts.origin }),
      ...(opts.autoPong !== undefined && { autoPong: opts.autoPong }),
    });
    const client = new WsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('upgrade', (res: IncomingMessage) => {
        if (url.startsWith('wss:')) client.tlsSocket = res.socket as TLSSocket;
      });
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res: IncomingMessage) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  private push(fn: () => void): void {
    fn();
    this.waiter.changed();
  }

  until<T>(check: () => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    return this.waiter.until(check, what, timeoutMs);
  }

  send(data: string | Element | Buffer): void {
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : data.toString());
  }

  next(): Promise<Element> {
    return this.until(() => this.inbox.shift(), 'the next element');
  }

  nextMatching(pred: (el: Element) => boolean, what: string): Promise<Element> {
    return this.until(() => {
      const i = this.inbox.findIndex(pred);
      return i === -1 ? undefined : this.inbox.splice(i, 1)[0];
    }, what);
  }

  /** Sends <open/>; resolves with the features. */
  async open(to = 'localhost'): Promise<Element> {
    const before = this.opens.length;
    this.send(`<open xmlns='${FRAMING}' to='${to}' version='1.0' xml:lang='en'/>`);
    await this.until(() => (this.opens.length > before ? true : undefined), 'the <open/> answer');
    const features = await this.next();
    if (!features.is('features', NS_STREAM)) throw new Error(`expected features: ${features}`);
    return features;
  }

  async scram(
    user: string,
    password: string,
    hash: ScramHash = 'SHA-256',
    cb?: ChannelBindingType,
  ) {
    let binding: { type: ChannelBindingType; data: Buffer } | undefined;
    if (cb !== undefined) {
      const data = tlsChannelBinding(this.tlsSocket!, 'client').get(cb);
      if (data === undefined) throw new Error(`no ${cb} binding`);
      binding = { type: cb, data };
    }
    const scram = new ScramClient(hash, user, password, binding);
    this.send(
      xml('auth', { xmlns: NS_SASL, mechanism: scram.mechanism }, scram.first().toString('base64')),
    );
    const challenge = await this.next();
    if (!challenge.is('challenge', NS_SASL)) return challenge;
    const final = await scram.finalAsync(Buffer.from(challenge.text(), 'base64'));
    this.send(xml('response', { xmlns: NS_SASL }, final.toString('base64')));
    const outcome = await this.next();
    if (outcome.is('success', NS_SASL) && !scram.verify(Buffer.from(outcome.text(), 'base64'))) {
      throw new Error('server signature did not verify');
    }
    return outcome;
  }

  async bind(resource: string): Promise<string> {
    this.send(
      `<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='${NS_BIND}'><resource>${resource}</resource></bind></iq>`,
    );
    const reply = await this.nextMatching((e) => e.attr('id') === 'b1', 'the bind reply');
    const jid = boundJid(reply);
    if (jid === undefined) throw new Error(`bind failed: ${reply}`);
    return jid;
  }

  /** Waits for the stream error, <close/> and the end of the WebSocket; returns the condition. */
  async streamError(): Promise<string> {
    const el = await this.nextMatching((e) => e.is('error', NS_STREAM), 'a stream error');
    await this.closed();
    expect(this.streamClosed).toBe(true);
    return (
      el.getChildElements().find((c) => c.getNS() === NS_STREAMS && c.localName !== 'text')
        ?.localName ?? '(none)'
    );
  }

  async closed(): Promise<number> {
    return this.until(() => this.closeCode, 'the WebSocket to close');
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** GETs a URL (self-signed certificate accepted); resolves with status, headers, body. */
function fetchRaw(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

/** The HTTP status a refused handshake gets. */
async function refusedWith(url: string, opts: WsConnectOptions = {}): Promise<string> {
  try {
    const c = await WsClient.connect(url, opts);
    c.terminate();
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

function websocketHarness(
  edit: (c: Harness['config']) => void = () => undefined,
  resumption?: MemoryResumptionStore,
): Promise<Harness> {
  return startHarness({
    ...(resumption !== undefined && { resumption }),
    configure: (c) => {
      c.websocket.enabled = true;
      c.websocket.port = 0;
      c.websocket.tlsPort = 0;
      c.websocket.host = '127.0.0.1';
      c.websocket.tlsHost = '127.0.0.1';
      c.websocket.plainIsSecure = true;
      c.sm.resumeTimeoutMs = 60_000;
      c.c2s.maxStanzaBytes = 65_536;
      edit(c);
    },
  });
}

describe('XMPP over WebSocket on the gateway', () => {
  let h: Harness;
  let wsUrl: string;
  let wssUrl: string;
  const store = new MemoryResumptionStore();
  const open: WsClient[] = [];
  const connect = async (url = wsUrl, opts?: WsConnectOptions) => {
    const c = await WsClient.connect(url, opts);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    h = await websocketHarness(
      (c) => (c.websocket.allowedOrigins = ['https://chat.example.org']),
      store,
    );
    wsUrl = `ws://127.0.0.1:${h.gateway.ports.websocket}/xmpp-websocket`;
    wssUrl = `wss://127.0.0.1:${h.gateway.ports.websocketTls}/xmpp-websocket`;
    for (const u of ['ann', 'ben', 'sam']) await h.createAccount(u, 'secret');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.terminate();
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  it('refuses handshakes without the xmpp sub-protocol, elsewhere, or from other origins', async () => {
    expect(await refusedWith(wsUrl, { protocols: [] })).toBe('HTTP 400');
    expect(await refusedWith(wsUrl, { protocols: ['chat', 'soap'] })).toBe('HTTP 400');
    expect(await refusedWith(wsUrl.replace('/xmpp-websocket', '/other'))).toBe('HTTP 404');
    expect(await refusedWith(wsUrl, { origin: 'https://evil.example' })).toBe('HTTP 403');
    expect(await refusedWith(wsUrl, { origin: 'https://chat.example.org' })).toBe('accepted');
    expect(await refusedWith(wsUrl, { protocols: ['soap', 'xmpp'] })).toBe('accepted');
    const c = await connect(wssUrl);
    expect(c.ws.protocol).toBe('xmpp');
    const plain = await fetchRaw(wsUrl.replace('ws:', 'http:'));
    expect(plain.status).toBe(426);
    expect(plain.headers['upgrade']).toBe('websocket');
    expect(
      (await fetchRaw(wsUrl.replace('ws:', 'http:').replace('xmpp-websocket', 'x'))).status,
    ).toBe(404);
  });

  it('serves XEP-0156 host-meta (XRD and JSON) with CORS on both listeners', async () => {
    const base = `https://127.0.0.1:${h.gateway.ports.websocketTls}`;
    const xrd = await fetchRaw(`${base}/.well-known/host-meta`, {
      host: `localhost:${h.gateway.ports.websocketTls}`,
    });
    expect(xrd.status).toBe(200);
    expect(xrd.headers['content-type']).toMatch(/^application\/xrd\+xml/);
    expect(xrd.headers['access-control-allow-origin']).toBe('*');
    const wss = `wss://localhost:${h.gateway.ports.websocketTls}/xmpp-websocket`;
    const ws = `ws://localhost:${h.gateway.ports.websocket}/xmpp-websocket`;
    expect(xrd.body).toContain(`<Link rel="urn:xmpp:alt-connections:websocket" href="${wss}"/>`);
    // ws:// streams may log in here (websocket.plainIsSecure), so ws:// is listed too.
    expect(xrd.body).toContain(`href="${ws}"`);
    const json = await fetchRaw(
      `http://127.0.0.1:${h.gateway.ports.websocket}/.well-known/host-meta.json`,
      { host: 'chat.example.org' },
    );
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body)).toEqual({
      links: [
        {
          rel: 'urn:xmpp:alt-connections:websocket',
          href: `wss://chat.example.org:${h.gateway.ports.websocketTls}/xmpp-websocket`,
        },
        {
          rel: 'urn:xmpp:alt-connections:websocket',
          href: `ws://chat.example.org:${h.gateway.ports.websocket}/xmpp-websocket`,
        },
      ],
    });
  });

  it('negotiates as over TCP with RFC 7395 framing: <open/>, no STARTTLS, SCRAM, restart, bind', async () => {
    const c = await connect();
    const features = await c.open();
    // The first message is our <open/>, then the features with the stream prefix declared.
    expect(c.raw[0]).toMatch(
      /^<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" id="[^"]+" from="localhost" version="1.0" xml:lang="en"\/>$/,
    );
    expect(c.raw[1]).toMatch(
      /^<stream:features xmlns:stream="http:\/\/etherx\.jabber\.org\/streams">/,
    );
    expect(c.parseErrors).toEqual([]);
    expect(features.getChild('starttls')).toBeUndefined();
    const mechanisms = features
      .getChild('mechanisms', NS_SASL)!
      .getChildElements()
      .map((m) => m.text());
    // Secure (websocket.plainIsSecure) without a TLS socket: PLAIN offered, no -PLUS.
    expect(mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    expect((await c.scram('ann', 'secret', 'SHA-1')).localName).toBe('success');
    const restarted = await c.open();
    expect(restarted.getChild('sm', NS_SM)).toBeDefined();
    expect(c.opens).toHaveLength(2);
    const jid = await c.bind('web');
    expect(jid).toBe('ann@localhost/web');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'web');

    // A stanza from the client is routed like one from TCP.
    c.send(
      "<message xmlns='jabber:client' to='ben@localhost' id='w1' type='chat'><body>hi</body></message>",
    );
    const routed = await h.registry.waitFor('stanza', (s) => s.env.id === 'w1');
    expect(routed.env).toMatchObject({
      from: 'ann@localhost/web',
      to: 'ben@localhost',
      kind: 'message',
    });

    // A delivery serialized without a namespace (as the registry builds them) gets jabber:client.
    const env: Envelope = {
      stage: 'in',
      kind: 'message',
      type: 'chat',
      id: 'd1',
      from: 'ben@localhost/tcp',
      to: jid,
      xml: `<message from="ben@localhost/tcp" to="${jid}" id="d1" type="chat"><body>yo</body></message>`,
    };
    h.bus.publish(gatewaySubject('gw1'), {
      t: 'deliver',
      conn: bind.conn,
      env,
    } satisfies GatewayMessage);
    const got = await c.nextMatching((e) => e.attr('id') === 'd1', 'the delivery');
    expect(got.getNS()).toBe('jabber:client');
    expect(c.raw.at(-1)).toMatch(/^<message xmlns="jabber:client" from="ben@localhost\/tcp"/);
    // An IQ answered by the gateway itself is framed the same way.
    c.send(
      "<iq xmlns='jabber:client' type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    expect((await c.nextMatching((e) => e.attr('id') === 's1', 'the session result')).getNS()).toBe(
      'jabber:client',
    );
    expect(c.parseErrors).toEqual([]);

    // The client closes: <close/> back, the WebSocket closes, the session is unbound.
    c.send(`<close xmlns='${FRAMING}'/>`);
    expect(await c.closed()).toBe(1000);
    expect(c.raw.at(-1)).toBe(`<close xmlns="${FRAMING}" />`);
    await h.registry.waitFor('unbind', (u) => u.conn === bind.conn);
  });

  it('offers channel binding over wss:// (same certificate as c2s) and logs in with SCRAM-SHA-256-PLUS', async () => {
    const c = await connect(wssUrl);
    const cert = c.tlsSocket!.getPeerX509Certificate()!;
    expect(cert.checkHost('localhost')).toBe('localhost');
    const features = await c.open();
    const mechanisms = features
      .getChild('mechanisms', NS_SASL)!
      .getChildElements()
      .map((m) => m.text());
    expect(mechanisms).toContain('SCRAM-SHA-256-PLUS');
    expect(features.getChild('sasl-channel-binding', 'urn:xmpp:sasl-cb:0')).toBeDefined();
    const outcome = await c.scram('ben', 'secret', 'SHA-256', 'tls-exporter');
    expect(outcome.localName).toBe('success');
    await c.open();
    expect(await c.bind('secure')).toBe('ben@localhost/secure');
    expect(await h.metrics.text()).toMatch(/parley_c2s_connections\{transport="wss"\} [1-9]\b/);
  });

  const refusals: [string, (c: WsClient) => void, string, boolean][] = [
    [
      'two elements in one message',
      (c) => c.send("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>"),
      'not-well-formed',
      true,
    ],
    ['text that is not XML', (c) => c.send('hello'), 'not-well-formed', true],
    [
      'an unclosed element',
      (c) => c.send("<message xmlns='jabber:client'><body>"),
      'not-well-formed',
      true,
    ],
    ['an undeclared prefix', (c) => c.send('<stream:features/>'), 'bad-namespace-prefix', true],
    [
      'a message over c2s.maxStanzaBytes',
      (c) => c.send(`<message xmlns='jabber:client'><body>${'x'.repeat(70_000)}</body></message>`),
      'policy-violation',
      true,
    ],
    [
      'a binary message',
      (c) => c.send(Buffer.from("<presence xmlns='jabber:client'/>")),
      'bad-format',
      true,
    ],
    [
      'invalid UTF-8',
      (c) => c.ws.send(Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e]), { binary: false }),
      'unsupported-encoding',
      true,
    ],
    [
      'a stanza before <open/>',
      (c) => c.send("<presence xmlns='jabber:client'/>"),
      'not-authorized',
      false,
    ],
    [
      'a TCP stream header',
      (c) =>
        c.send(
          `<stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAM}' to='localhost' version='1.0'>`,
        ),
      'not-well-formed',
      false,
    ],
    [
      'an <open/> for another domain',
      (c) => c.send(`<open xmlns='${FRAMING}' to='elsewhere.example' version='1.0'/>`),
      'host-unknown',
      false,
    ],
    [
      'a second <open/> mid-stream',
      (c) => c.send(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`),
      'bad-format',
      true,
    ],
    [
      '<starttls/> (never over WebSocket)',
      (c) => c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
      '(failure)',
      true,
    ],
  ];
  for (const [what, send, condition, afterOpen] of refusals) {
    it(`ends the stream on ${what}: ${condition}, then <close/>`, async () => {
      const c = await connect();
      if (afterOpen) await c.open();
      send(c);
      if (condition === '(failure)') {
        const failure = await c.next();
        expect(failure.is('failure', 'urn:ietf:params:xml:ns:xmpp-tls')).toBe(true);
        await c.closed();
        expect(c.raw.at(-1)).toBe(`<close xmlns="${FRAMING}" />`);
        return;
      }
      expect(await c.streamError()).toBe(condition);
      // RFC 7395 3.5: an error in reply to the opening comes after our <open/>.
      expect(c.raw[0]!.startsWith('<open ')).toBe(true);
      expect(c.raw.at(-1)).toBe(`<close xmlns="${FRAMING}" />`);
      expect(c.parseErrors).toEqual([]);
    });
  }

  it('survives random input without an internal error, and drops no connection on the floor', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = [
      '<',
      '>',
      '/',
      ' ',
      '=',
      "'",
      '"',
      'message',
      'presence',
      'iq',
      'body',
      'open',
      'close',
      "xmlns='jabber:client'",
      `xmlns='${FRAMING}'`,
      "to='localhost'",
      "version='1.0'",
      'stream:',
      '&amp;',
      '&x;',
      '<!--',
      '-->',
      '<?xml',
      '?>',
      '<![CDATA[',
      ']]>',
      'é',
      '😀',
      '\u0000',
      '\n',
    ];
    const logsBefore = h.logs.length;
    for (let i = 0; i < 40; i++) {
      const c = await connect();
      if (i % 2 === 0) await c.open();
      const messages = 1 + Math.floor(random() * 4);
      for (let m = 0; m < messages; m++) {
        let text = '';
        const length = Math.floor(random() * 30);
        for (let j = 0; j < length; j++) text += pieces[Math.floor(random() * pieces.length)];
        if (random() < 0.15) c.send(Buffer.from(text));
        else c.send(text);
      }
      if (random() < 0.5)
        await c
          .until(() => c.closeCode ?? (c.raw.length > 2 ? 0 : undefined), 'an answer', 500)
          .catch(() => 0);
      c.terminate();
    }
    const fine = await connect();
    await fine.open();
    // The fuzzed connections close.
    await vi.waitFor(() => expect(h.gateway.connectionCount()).toBe(1), WAIT);
    expect(h.logs.slice(logsBefore).filter((l) => l.includes('internal error'))).toEqual([]);
  });

  it('fails a message over twice the stanza limit at the WebSocket layer (1009), and keeps serving', async () => {
    const c = await connect();
    await c.open();
    c.send(`<message xmlns='jabber:client'><body>${'x'.repeat(140_000)}</body></message>`);
    expect(await c.closed()).toBe(1009);
    const next = await connect();
    await next.open();
  });

  it('resumes a TCP session over WebSocket and a WebSocket session over TCP', async () => {
    h.registry.received.length = 0;
    // TCP first: enable resumption, get deliveries, drop the connection.
    const tcp = await h.login('sam', 'secret', 'roam');
    const tcpBind = await h.registry.waitFor('bind', (b) => b.resource === 'roam');
    tcp.client.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const enabled = await tcp.client.nextMatching((e) => e.is('enabled', NS_SM), '<enabled/>');
    const id = enabled.attr('id')!;
    for (const n of [1, 2, 3]) deliver(h.bus, 'gw1', tcpBind.conn, tcp.jid, `t${n}`);
    expect(await receiveIds(tcp.client, 3)).toEqual(['t1', 't2', 't3']);
    tcp.client.send(`<a xmlns='${NS_SM}' h='1'/>`);
    await storeState(store, id, (s) => s.acked === 1, 'the ack stored');
    tcp.client.close();
    await storeState(store, id, (s) => s.detachedAt !== undefined, 'the TCP session to detach');

    // Resume over WebSocket: t2 and t3 are retransmitted, framed with jabber:client.
    const ws = await connect();
    await ws.open();
    expect((await ws.scram('sam', 'secret')).localName).toBe('success');
    await ws.open();
    ws.send(`<resume xmlns='${NS_SM}' previd='${id}' h='1'/>`);
    const resumed = await ws.nextMatching((e) => e.is('resumed', NS_SM), '<resumed/>');
    expect(resumed.attr('previd')).toBe(id);
    const retransmitted = [await ws.next(), await ws.next()];
    expect(retransmitted.map((e) => [e.attr('id'), e.getNS()])).toEqual([
      ['t2', 'jabber:client'],
      ['t3', 'jabber:client'],
    ]);
    const takeover = await h.registry.waitFor('bind', (b) => b.takeover === tcpBind.conn);
    deliver(h.bus, 'gw1', takeover.conn, tcp.jid, 't4');
    expect((await ws.nextMatching((e) => e.attr('id') === 't4', 't4')).getNS()).toBe(
      'jabber:client',
    );
    ws.send(
      "<message xmlns='jabber:client' to='ann@localhost' id='u1'><body>from ws</body></message>",
    );
    ws.send(`<a xmlns='${NS_SM}' h='4'/>`);
    await storeState(store, id, (s) => s.acked === 4 && s.inboundH === 1, 'acks over WebSocket');
    expect(h.registry.of('unbind')).toHaveLength(0);

    // Now the WebSocket drops (no <close/>) and the session continues over TCP.
    deliver(h.bus, 'gw1', takeover.conn, tcp.jid, 't5');
    await ws.nextMatching((e) => e.attr('id') === 't5', 't5');
    ws.terminate();
    await storeState(
      store,
      id,
      (s) => s.detachedAt !== undefined,
      'the WebSocket session to detach',
    );
    const again = await authenticate(h, 'sam', 'secret');
    again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='4'/>`);
    const back = await again.nextMatching((e) => e.is('resumed', NS_SM), '<resumed/> over TCP');
    // The one client stanza the WebSocket stream handled counts.
    expect(back.attr('h')).toBe('1');
    expect(await receiveIds(again, 1)).toEqual(['t5']);
    await h.registry.waitFor('bind', (b) => b.takeover === takeover.conn);
    expect(h.registry.of('unbind')).toHaveLength(0);
    expect(await h.metrics.text()).toMatch(/parley_sm_resumptions_total\{result="success"\} 2\b/);
    again.close();
  });

  it('counts connections by transport', async () => {
    const c = await connect();
    await c.open();
    await vi.waitFor(
      async () =>
        expect(await h.metrics.text()).toMatch(/parley_c2s_connections\{transport="ws"\} 1\b/),
      WAIT,
    );
    c.terminate();
    await vi.waitFor(
      async () =>
        expect(await h.metrics.text()).toMatch(/parley_c2s_connections\{transport="ws"\} 0\b/),
      WAIT,
    );
  });

  it('closes the WebSocket streams with system-shutdown on gateway close, keeping resumable sessions', async () => {
    const other = await websocketHarness();
    try {
      await other.createAccount('ann', 'secret');
      const c = await WsClient.connect(
        `ws://127.0.0.1:${other.gateway.ports.websocket}/xmpp-websocket`,
      );
      await c.open();
      await other.gateway.close();
      expect(await c.streamError()).toBe('system-shutdown');
    } finally {
      await other.close();
    }
  });
});

describe('WebSocket without TLS, keepalive and limits', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });
  const start = async (edit: (c: Harness['config']) => void) => {
    const h = await websocketHarness(edit);
    harnesses.push(h);
    await h.createAccount('ann', 'secret');
    return { h, url: `ws://127.0.0.1:${h.gateway.ports.websocket}/xmpp-websocket` };
  };

  it('redirects ws:// to wss:// when TLS is required (see-other-uri), or refuses without a wss:// listener', async () => {
    const { h, url } = await start((c) => (c.websocket.plainIsSecure = false));
    const c = await WsClient.connect(url);
    c.send(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`);
    await c.closed();
    // RFC 7395 3.6.1: <close see-other-uri/> in place of <open/>, to a more secure endpoint.
    expect(c.raw).toEqual([
      `<close xmlns="${FRAMING}" see-other-uri="wss://127.0.0.1:${h.gateway.ports.websocketTls}/xmpp-websocket" />`,
    ]);

    const { url: plainOnly } = await start((c) => {
      c.websocket.plainIsSecure = false;
      c.websocket.listeners = ['ws'];
    });
    const d = await WsClient.connect(plainOnly);
    d.send(`<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`);
    expect(await d.streamError()).toBe('policy-violation');
  });

  it('applies c2s.requireTls and allowPlainWithoutTls to ws:// as to TCP without STARTTLS', async () => {
    const { url } = await start((c) => {
      c.websocket.plainIsSecure = false;
      c.c2s.requireTls = false;
    });
    const c = await WsClient.connect(url);
    const features = await c.open();
    expect(features.getChild('starttls')).toBeUndefined();
    expect(
      features
        .getChild('mechanisms', NS_SASL)!
        .getChildElements()
        .map((m) => m.text()),
    ).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    expect((await c.scram('ann', 'secret')).localName).toBe('success');
    c.terminate();
  });

  it('pings idle clients and drops one that does not answer', async () => {
    const { h, url } = await start((c) => (c.websocket.pingIntervalMs = 100));
    const silent = await WsClient.connect(url, { autoPong: false });
    await silent.open();
    const lively = await WsClient.connect(url);
    await lively.open();
    let pings = 0;
    lively.ws.on('ping', () => pings++);
    const code = await silent.until(
      () => silent.closeCode,
      'the silent client to be dropped',
      3_000,
    );
    expect(code).toBe(1006);
    // The lively client answers two more pings and stays (one left unanswered would drop it
    // before the next).
    const before = pings;
    await vi.waitFor(() => expect(pings).toBeGreaterThanOrEqual(before + 2), WAIT);
    expect(lively.closeCode).toBeUndefined();
    expect(h.gateway.connectionCount()).toBe(1);
    // No whitespace keepalives over WebSocket: every message is an element.
    expect(lively.raw.every((m) => m.startsWith('<'))).toBe(true);
    lively.terminate();
  });

  it('over c2s.maxUnauthenticatedPerAddress closes the oldest unauthenticated stream with policy-violation, not the newcomer', async () => {
    const { url } = await start((c) => (c.c2s.maxUnauthenticatedPerAddress = 1));
    const first = await WsClient.connect(url);
    await first.open();
    const second = await WsClient.connect(url);
    expect(await first.streamError()).toBe('policy-violation');
    await second.open();
    expect(second.closeCode).toBeUndefined();
    second.terminate();
  });
});
