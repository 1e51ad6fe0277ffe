/**
 * XEP-0124/0206 (BOSH) at the protocol level, with raw HTTP requests to a
 * gateway (fake registry, in-memory bus): session creation, login, long
 * polls, rid ordering and repeats, wait and inactivity, terminate, terminal
 * errors, CORS, host-meta; and a second gateway of the same cluster that
 * forwards requests for the first one's sessions over the bus.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import type { Config } from '@parley/config';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { BoshTestClient, NS_HTTPBIND, NS_XBOSH, boshPost as post } from '@parley/testkit';
import { deliver, NS_SM } from './helpers/sm.js';

function configure(c: Config, extra?: (c: Config) => void): void {
  c.websocket.enabled = true;
  c.websocket.listeners = ['ws'];
  c.websocket.port = 0;
  c.websocket.plainIsSecure = true;
  c.bosh.enabled = true;
  c.bosh.maxInactivityMs = 3_000;
  c.sm.resumeTimeoutMs = 60_000;
  extra?.(c);
}

function urlOf(h: Harness): string {
  return `http://127.0.0.1:${h.gateway.ports.websocket}/http-bind`;
}

/** The connection id the fake registry saw bound for `jid`. */
async function connOf(h: Harness, jid: string): Promise<string> {
  const bare = jid.slice(0, jid.indexOf('/'));
  const bind = await h.registry.waitFor('bind', (b) => b.jid === bare);
  return bind.conn;
}

describe('BOSH (XEP-0124/0206) on one gateway', () => {
  let h: Harness;
  let url: string;

  beforeAll(async () => {
    h = await startHarness({
      configure: (c) =>
        configure(c, (cc) => {
          cc.bosh.allowedOrigins = ['https://chat.example.org'];
        }),
    });
    url = urlOf(h);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) {
      await h.createAccount(u, 'secret');
    }
  });

  afterAll(async () => {
    await h.close();
  });

  it('creates a session: XEP-0124 and XEP-0206 attributes, stream features, text/xml', async () => {
    const c = new BoshTestClient(url);
    const r = await post(
      url,
      c.wrap(
        {
          rid: String(c.rid),
          to: 'localhost',
          wait: '600',
          hold: '3',
          ver: '1.6',
          'xml:lang': 'en',
          'xmpp:version': '1.0',
        },
        '',
      ),
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const b = r.body;
    expect(b.getNS()).toBe(NS_HTTPBIND);
    expect(b.attr('sid')).toMatch(/^[0-9a-f]{32}\.gw1$/);
    // Capped to bosh.maxWaitMs (60 s) and bosh.maxHold (1); requests = hold + 1.
    expect(b.attr('wait')).toBe('60');
    expect(b.attr('hold')).toBe('1');
    expect(b.attr('requests')).toBe('2');
    expect(b.attr('inactivity')).toBe('3');
    expect(b.attr('polling')).toBe('2');
    expect(b.attr('maxpause')).toBe('120');
    expect(b.attr('ver')).toBe('1.11');
    expect(b.attr('from')).toBe('localhost');
    expect(b.attr('xmlns:xmpp')).toBe(NS_XBOSH);
    expect(b.attr('xmpp:version')).toBe('1.0');
    expect(b.attr('xmpp:restartlogic')).toBe('true');
    const features = b.getChild('features', 'http://etherx.jabber.org/streams');
    expect(
      features
        ?.getChild('mechanisms')
        ?.getChildren('mechanism')
        .map((m) => m.text()),
    ).toContain('PLAIN');
    // No channel binding over BOSH: the stream spans many HTTP connections.
    expect(r.text).not.toContain('-PLUS');
    c.sid = b.attr('sid')!;
    // The session counts as a client connection (per-address limits, metrics).
    expect(await h.metrics.text()).toMatch(
      /parley_c2s_connections\{[^}]*transport="bosh"[^}]*\} 1\b/,
    );
    await c.send('', { type: 'terminate' });
  });

  it('logs in, binds, and delivers a stanza to a held request (long poll); stanzas reach the registry', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    const jid = await c.login('alice', 'secret', 'web');
    expect(jid).toBe('alice@localhost/web');
    const conn = await connOf(h, jid);

    const poll = c.send();
    // The request is held: nothing comes back until there is something to send.
    await h.logged('BOSH request held', { sid: c.sid, rid: c.rid });
    deliver(h.bus, 'gw1', conn, jid, 'lp1');
    const got = await poll;
    const msg = got.body.getChild('message');
    expect(msg?.attr('id')).toBe('lp1');
    expect(msg?.attr('xmlns')).toBe('jabber:client');
    expect(msg?.getChildText('body')).toBe('lp1');

    // A stanza without its own namespace inherits the body's: taken as jabber:client.
    const up = c.send("<message to='bob@localhost' id='up1' type='chat'><body>hi</body></message>");
    const sent = await h.registry.waitFor('stanza', (s) => s.env.id === 'up1');
    expect(sent.env.from).toBe('alice@localhost/web');
    // Held (nothing to answer) until the next request releases it.
    const bye = await c.send('', { type: 'terminate' });
    expect(bye.body.attr('type')).toBe('terminate');
    expect((await up).body.children).toEqual([]);
  });

  it('hands payloads over in rid order when requests arrive out of order', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    await c.login('bob', 'secret', 'ooo');
    const base = c.rid;
    const msg = (id: string) =>
      `<message xmlns='jabber:client' to='carol@localhost' id='${id}'><body>x</body></message>`;
    // rid base+2 first: it waits for base+1.
    const second = c.send(msg('o2'), {}, base + 2);
    await h.logged('BOSH request ahead of its turn', { sid: c.sid, rid: base + 2 });
    const first = c.send(msg('o1'), {}, base + 1);
    c.rid = base + 2;
    await h.registry.waitFor('stanza', (s) => s.env.id === 'o2');
    const ids = h.registry
      .of('stanza')
      .map((s) => s.env.id)
      .filter((id) => id === 'o1' || id === 'o2');
    expect(ids).toEqual(['o1', 'o2']);
    await c.send('', { type: 'terminate' });
    await Promise.all([first, second]);
  });

  it('answers a repeated rid with the same response again, and an older one with item-not-found', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    await c.login('carol', 'secret', 'rep');
    const enabled = await c.send(`<enable xmlns='${NS_SM}'/>`);
    expect(enabled.body.getChild('enabled', NS_SM)).toBeDefined();
    const rid = c.rid;
    // The client lost the response (a broken connection) and asks again.
    const again = await c.send('', {}, rid);
    expect(again.text).toBe(enabled.text);
    // Later requests (answered at once: <r/> gets <a/>) push it out of the last 'requests' responses.
    for (let i = 0; i < 3; i++) {
      expect((await c.send(`<r xmlns='${NS_SM}'/>`)).body.getChild('a', NS_SM)).toBeDefined();
    }
    const old = await c.send('', {}, rid);
    expect(old.body.attr('type')).toBe('terminate');
    expect(old.body.attr('condition')).toBe('item-not-found');
  });

  it('ends the session with item-not-found for a rid beyond the window, bad-request without one', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    const far = await c.send('', {}, c.rid + 10);
    expect(far.body.attr('type')).toBe('terminate');
    expect(far.body.attr('condition')).toBe('item-not-found');
    // The session is over: its next request gets the same answer.
    const after = await c.send();
    expect(after.body.attr('condition')).toBe('item-not-found');

    const d = new BoshTestClient(url);
    await d.create();
    const norid = await post(url, `<body xmlns='${NS_HTTPBIND}' sid='${d.sid}'/>`);
    expect(norid.body.attr('condition')).toBe('bad-request');
  });

  it('answers a held request with an empty body after wait', async () => {
    const c = new BoshTestClient(url);
    await c.create({ wait: '1' });
    await c.login('dave', 'secret', 'w');
    const started = Date.now();
    const r = await c.send();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.body.attr('type')).toBeUndefined();
    expect(r.body.children).toEqual([]);
    await c.send('', { type: 'terminate' });
  });

  it('terminate: the payload is handed over, the stream closed, the session unbound', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    const jid = await c.login('erin', 'secret', 't');
    const conn = await connOf(h, jid);
    const r = await c.send("<presence xmlns='jabber:client' type='unavailable' id='bye'/>", {
      type: 'terminate',
    });
    expect(r.body.attr('type')).toBe('terminate');
    expect(r.body.attr('condition')).toBeUndefined();
    await h.registry.waitFor('stanza', (s) => s.env.id === 'bye');
    await h.registry.waitFor('unbind', (u) => u.conn === conn);
    await h.connectionClosed(conn);
    const after = await c.send();
    expect(after.body.attr('type')).toBe('terminate');
  });

  it('inactivity: a session without requests is a lost connection (XEP-0198 session kept), then unknown', async () => {
    const c = new BoshTestClient(url);
    await c.create({ wait: '1' });
    const jid = await c.login('frank', 'secret', 'idle');
    const conn = await connOf(h, jid);
    const enabled = await c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    expect(enabled.body.getChild('enabled', NS_SM)).toBeDefined();
    // No more requests: after bosh.maxInactivityMs the connection counts as dropped.
    await h.logged('BOSH session inactive; dropping the connection', {}, 10_000);
    await h.connectionClosed(conn);
    expect(h.gateway.detachedCount()).toBe(1);
    expect(h.registry.of('unbind').filter((u) => u.conn === conn)).toEqual([]);
    const late = await c.send();
    expect(late.body.attr('condition')).toBe('item-not-found');

    // Delivered while detached, then resumed over a new BOSH session, as after a dropped TCP connection.
    deliver(h.bus, 'gw1', conn, jid, 'while-away');
    const id = enabled.body.getChild('enabled', NS_SM)!.attr('id')!;
    const again = new BoshTestClient(url);
    await again.create();
    await again.authenticate('frank', 'secret');
    const resumed = await again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
    expect(resumed.body.getChild('resumed', NS_SM)?.attr('previd')).toBe(id);
    const got = resumed.body.getChild('message') ?? (await again.send()).body.getChild('message');
    expect(got?.attr('id')).toBe('while-away');
    const takeover = await h.registry.waitFor('bind', (b) => b.takeover === conn);
    expect(takeover.jid).toBe('frank@localhost');
    await again.send('', { type: 'terminate' });
  });

  it('too many simultaneous requests end the session with policy-violation', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    await c.login('gina', 'secret', 'many');
    const base = c.rid;
    // requests='2': rid+1 held, rid+3 waiting for rid+2, and rid+2 makes three.
    const p1 = c.send('', {}, base + 1);
    await h.logged('BOSH request held', { sid: c.sid, rid: base + 1 });
    const p3 = c.send('', {}, base + 3);
    await h.logged('BOSH request ahead of its turn', { sid: c.sid, rid: base + 3 });
    const p2 = await c.send('', {}, base + 2);
    expect(p2.body.attr('type')).toBe('terminate');
    expect(p2.body.attr('condition')).toBe('policy-violation');
    // The others are answered too (the last with the same terminal body).
    expect((await p3).body.attr('condition')).toBe('policy-violation');
    expect((await p1).body.attr('type')).toBeUndefined();
  });

  it('a polling session (hold 0) that polls faster than polling gets policy-violation', async () => {
    const c = new BoshTestClient(url);
    const created = await c.create({ hold: '0' });
    expect(created.attr('hold')).toBe('0');
    expect(created.attr('requests')).toBe('1');
    // Answered at once, empty: nothing is held in a polling session.
    expect((await c.send()).body.children).toEqual([]);
    const again = await c.send();
    expect(again.body.attr('condition')).toBe('policy-violation');
  });

  it('pause: every held request is answered at once', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    const held = c.send();
    await h.logged('BOSH request held', { sid: c.sid, rid: c.rid });
    const paused = await c.send('', { pause: '30' });
    expect(paused.body.children).toEqual([]);
    expect((await held).body.children).toEqual([]);
    await c.send('', { type: 'terminate' });
  });

  it('refuses bad requests with XEP-0124 conditions and keeps serving', async () => {
    const unknown = await post(
      url,
      `<body xmlns='${NS_HTTPBIND}' sid='0123456789abcdef0123456789abcdef.gw1' rid='5'/>`,
    );
    expect(unknown.status).toBe(200);
    expect(unknown.body.attr('condition')).toBe('item-not-found');
    const garbage = await post(url, `<body xmlns='${NS_HTTPBIND}' sid='nope' rid='5'/>`);
    expect(garbage.body.attr('condition')).toBe('item-not-found');
    expect((await post(url, '<body')).body.attr('condition')).toBe('bad-request');
    expect((await post(url, '<iq/>')).body.attr('condition')).toBe('bad-request');
    expect(
      (await post(url, `<!DOCTYPE x [<!ENTITY a "b">]><body xmlns='${NS_HTTPBIND}'/>`)).body.attr(
        'condition',
      ),
    ).toBe('bad-request');
    const host = await post(
      url,
      `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}' rid='1' to='elsewhere.example' xmpp:version='1.0'/>`,
    );
    expect(host.body.attr('condition')).toBe('host-unknown');
    const norid = await post(url, `<body xmlns='${NS_HTTPBIND}' to='localhost'/>`);
    expect(norid.body.attr('condition')).toBe('bad-request');
    const badrid = await post(url, `<body xmlns='${NS_HTTPBIND}' to='localhost' rid='1e9'/>`);
    expect(badrid.body.attr('condition')).toBe('bad-request');
    const big = await post(
      url,
      `<body xmlns='${NS_HTTPBIND}'>${'x'.repeat(h.config.bosh.maxRequestBytes)}</body>`,
    );
    expect(big.body.attr('condition')).toBe('policy-violation');
    const get = await fetch(url);
    expect(get.status).toBe(405);
    // Still serving.
    const c = new BoshTestClient(url);
    expect((await c.create()).attr('sid')).toBeDefined();
    await c.send('', { type: 'terminate' });
  });

  it('survives random and mangled requests: every answer is a <body/>, and it keeps serving', async () => {
    let seed = 14;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const c = new BoshTestClient(url);
    // Requests that happen to be valid are held for at most a second.
    await c.create({ wait: '1' });
    const pieces = [
      `<body xmlns='${NS_HTTPBIND}'`,
      ` sid='${c.sid}'`,
      ` rid='${c.rid + 1}'`,
      " rid='-3'",
      " rid='99999999999999999999'",
      " type='terminate'",
      " pause='x'",
      " wait='9999999999'",
      " hold='-1'",
      ` xmlns:xmpp='${NS_XBOSH}' xmpp:restart='true'`,
      " to='localhost'",
      '>',
      '/>',
      '</body>',
      "<message xmlns='jabber:client'><body>x</body></message>",
      "<iq type='set'/>",
      "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>",
      '<![CDATA[x]]>',
      '&amp;',
      '&unknown;',
      '\u0000',
      '<a:b/>',
      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>",
    ];
    for (let i = 0; i < 150; i++) {
      const n = 1 + rand(6);
      let text = '';
      for (let j = 0; j < n; j++) text += pieces[rand(pieces.length)]!;
      let r: Response;
      try {
        r = await fetch(url, { method: 'POST', body: text });
      } catch {
        // A held request whose rid came again is dropped (XEP-0124 section 14.3): not an answer to check.
        continue;
      }
      expect(r.status).toBe(200);
      const answer = await r.text();
      expect(answer.startsWith(`<body xmlns='${NS_HTTPBIND}'`)).toBe(true);
    }
    const fresh = new BoshTestClient(url);
    await fresh.create();
    expect(await fresh.login('gina', 'secret', 'after-fuzz')).toBe('gina@localhost/after-fuzz');
    await fresh.send('', { type: 'terminate' });
  });

  it('an element over the pre-authentication limit ends the stream with policy-violation', async () => {
    const c = new BoshTestClient(url);
    await c.create();
    const r = await c.send(
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${'A'.repeat(20_000)}</auth>`,
    );
    expect(r.body.attr('type')).toBe('terminate');
    expect(r.body.attr('condition')).toBe('remote-stream-error');
    expect(
      r.body.getChild('error', 'http://etherx.jabber.org/streams')?.getChild('policy-violation'),
    ).toBeDefined();
  });

  it('CORS: preflight and responses for an allowed origin, 403 for another', async () => {
    const pre = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://chat.example.org',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://chat.example.org');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'content-type',
    );
    const c = new BoshTestClient(url);
    const r = await post(url, c.wrap({ rid: '7', to: 'localhost', 'xmpp:version': '1.0' }, ''), {
      Origin: 'https://chat.example.org',
    });
    expect(r.headers.get('access-control-allow-origin')).toBe('https://chat.example.org');
    c.sid = r.body.attr('sid')!;
    c.rid = 7;
    await c.send('', { type: 'terminate' });
    const bad = await fetch(url, {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
      body: `<body xmlns='${NS_HTTPBIND}'/>`,
    });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('host-meta lists the BOSH endpoint next to the WebSocket one', async () => {
    const port = h.gateway.ports.websocket;
    const xml = await (await fetch(`http://127.0.0.1:${port}/.well-known/host-meta`)).text();
    expect(xml).toContain(
      `<Link rel="urn:xmpp:alt-connections:xbosh" href="http://127.0.0.1:${port}/http-bind"/>`,
    );
    expect(xml).toContain('urn:xmpp:alt-connections:websocket');
    const json = (await (
      await fetch(`http://127.0.0.1:${port}/.well-known/host-meta.json`)
    ).json()) as {
      links: { rel: string; href: string }[];
    };
    expect(json.links).toContainEqual({
      rel: 'urn:xmpp:alt-connections:xbosh',
      href: `http://127.0.0.1:${port}/http-bind`,
    });
  });
});

describe('BOSH across two gateways of a cluster', () => {
  let h1: Harness;
  let h2: Harness;

  beforeAll(async () => {
    h1 = await startHarness({ gatewayId: 'gw1', configure: (c) => configure(c) });
    h2 = await startHarness({ gatewayId: 'gw2', configure: (c) => configure(c), cluster: h1 });
    await h1.createAccount('kim', 'secret');
  });

  afterAll(async () => {
    await h2.close();
    await h1.close();
  });

  it('a session created on one gateway works through the other (requests forwarded over the bus)', async () => {
    const c = new BoshTestClient(urlOf(h1));
    await c.create();
    expect(c.sid.endsWith('.gw1')).toBe(true);
    // Every later request lands on gw2, as behind a load balancer without sticky sessions.
    c.url = urlOf(h2);
    const jid = await c.login('kim', 'secret', 'lb');
    const conn = await connOf(h1, jid);
    // The stream is on gw1 (its connection id), not on gw2.
    expect(h1.gateway.connectionCount()).toBe(1);
    expect(h2.gateway.connectionCount()).toBe(0);

    const poll = c.send();
    await h1.logged('BOSH request held', { sid: c.sid, rid: c.rid });
    deliver(h1.bus, 'gw1', conn, jid, 'fw1');
    expect((await poll).body.getChild('message')?.attr('id')).toBe('fw1');
    const up = c.send(
      "<message xmlns='jabber:client' to='lee@localhost' id='fw2'><body>x</body></message>",
    );
    expect((await h1.registry.waitFor('stanza', (s) => s.env.id === 'fw2')).env.from).toBe(jid);
    const bye = await c.send('', { type: 'terminate' });
    expect(bye.body.attr('type')).toBe('terminate');
    await up;
    await h1.registry.waitFor('unbind', (u) => u.conn === conn);
    expect(await h2.metrics.value('bosh_requests_total', { route: 'forwarded' })).toBeGreaterThan(
      5,
    );
    expect(
      await h1.metrics.value('bosh_requests_total', { route: 'from-gateway' }),
    ).toBeGreaterThan(5);
  });

  it('a sid of a gateway that is gone is item-not-found', async () => {
    const r = await post(
      urlOf(h2),
      `<body xmlns='${NS_HTTPBIND}' sid='0123456789abcdef0123456789abcdef.gw9' rid='5'/>`,
    );
    expect(r.body.attr('condition')).toBe('item-not-found');
  });
});

describe('BOSH limits, TLS redirect and shutdown', () => {
  it('over c2s.maxUnauthenticatedPerAddress a new session ends the oldest unauthenticated one (policy-violation)', async () => {
    const h = await startHarness({
      configure: (c) =>
        configure(c, (cc) => {
          cc.c2s.maxUnauthenticatedPerAddress = 1;
        }),
    });
    try {
      const first = new BoshTestClient(urlOf(h));
      expect((await first.create()).attr('sid')).toBeDefined();
      const second = await new BoshTestClient(urlOf(h)).create();
      expect(second.attr('sid')).toBeDefined();
      expect(second.attr('type')).toBeUndefined();
      const ended = (await first.send()).body;
      expect(ended.attr('type')).toBe('terminate');
      expect(ended.attr('condition')).toBe('remote-stream-error');
      expect(ended.toString()).toContain('policy-violation');
    } finally {
      await h.close();
    }
  });

  it('http:// when TLS is required: see-other-uri to the https:// endpoint', async () => {
    const h = await startHarness({
      configure: (c) =>
        configure(c, (cc) => {
          cc.websocket.listeners = ['ws', 'wss'];
          cc.websocket.tlsPort = 0;
          cc.websocket.tlsHost = '127.0.0.1';
          cc.websocket.plainIsSecure = false;
        }),
    });
    try {
      const r = await new BoshTestClient(urlOf(h)).create();
      expect(r.attr('type')).toBe('terminate');
      expect(r.attr('condition')).toBe('see-other-uri');
      expect(r.getChildText('uri')).toBe(
        `https://127.0.0.1:${h.gateway.ports.websocketTls}/http-bind`,
      );
    } finally {
      await h.close();
    }
  });

  it('https:// on the wss listener: a secure stream (PLAIN allowed, no -PLUS), counted as boshs', async () => {
    const h = await startHarness({
      configure: (c) =>
        configure(c, (cc) => {
          cc.websocket.listeners = ['wss'];
          cc.websocket.tlsPort = 0;
          cc.websocket.tlsHost = '127.0.0.1';
          cc.websocket.plainIsSecure = false;
        }),
    });
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: h.gateway.ports.websocketTls,
            path: '/http-bind',
            method: 'POST',
            // The harness's self-signed certificate.
            rejectUnauthorized: false,
            headers: { 'Content-Type': 'text/xml; charset=utf-8' },
          },
          (res) => {
            let got = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (got += d));
            res.on('end', () => resolve(got));
          },
        );
        req.on('error', reject);
        req.end(
          `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}' rid='10' to='localhost' xmpp:version='1.0'/>`,
        );
      });
      const b = parseXml(text);
      expect(b.attr('sid')).toBeDefined();
      const mechanisms = b
        .getChild('features', 'http://etherx.jabber.org/streams')
        ?.getChild('mechanisms')
        ?.getChildren('mechanism')
        .map((m) => m.text());
      expect(mechanisms).toContain('PLAIN');
      expect(mechanisms?.some((m) => m.endsWith('-PLUS'))).toBe(false);
      expect(await h.metrics.value('c2s_connections', { transport: 'boshs' })).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('a gateway shutting down answers held requests with system-shutdown', async () => {
    const h = await startHarness({ configure: (c) => configure(c) });
    await h.createAccount('ivy', 'secret');
    const c = new BoshTestClient(urlOf(h));
    await c.create();
    await c.login('ivy', 'secret', 'sd');
    const held = c.send();
    await h.logged('BOSH request held', { sid: c.sid, rid: c.rid });
    const closed = h.close();
    const r = await held;
    expect(r.body.attr('type')).toBe('terminate');
    expect(r.body.attr('condition')).toBe('remote-stream-error');
    expect(
      r.body.getChild('error', 'http://etherx.jabber.org/streams')?.getChild('system-shutdown'),
    ).toBeDefined();
    await closed;
  });
});
