/**
 * Traffic shaping (shaper.*, src/shaping/): a client that sends faster than
 * its token buckets allow is paused, not cut off: everything it sent arrives,
 * in order and later, its stream stays open, and other sessions go on. Over
 * TCP, WebSocket and BOSH, before and after authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Config } from '@parley/config';
import type { RegistryMessage } from '@parley/routing';
import { NS_BIND, NS_SASL } from '@parley/stanza';
import { BoshTestClient } from '@parley/testkit';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

/** Stanzas per second after authentication in these tests, and the burst. */
const RATE = 50;
const BURST = 5;

function configure(c: Config): void {
  c.shaper.authenticated = {
    bytesPerSecond: 0,
    burstBytes: 1,
    stanzasPerSecond: RATE,
    burstStanzas: BURST,
  };
  c.shaper.unauthenticated = {
    bytesPerSecond: 0,
    burstBytes: 1,
    stanzasPerSecond: RATE,
    burstStanzas: 2,
  };
  c.shaper.exemptJids = ['bot@localhost'];
  c.registration.enabled = true;
  c.websocket.enabled = true;
  c.websocket.listeners = ['ws'];
  c.websocket.port = 0;
  c.websocket.host = '127.0.0.1';
  c.websocket.plainIsSecure = true;
  c.bosh.enabled = true;
}

/** When each client stanza reached the (fake) registry, by id. */
class Arrivals {
  readonly at = new Map<string, number>();
  readonly order: string[] = [];

  constructor(h: Harness) {
    h.bus.subscribe('xmpp.r.>', (m) => {
      const msg = m.data as RegistryMessage;
      if (msg.t !== 'stanza' || msg.env.id === undefined) return;
      this.at.set(msg.env.id, performance.now());
      this.order.push(msg.env.id);
    });
  }

  /** Ms between the first and the last of `ids` to arrive. */
  spread(ids: string[]): number {
    const times = ids.map((id) => this.at.get(id)!);
    return Math.max(...times) - Math.min(...times);
  }
}

function messages(prefix: string, n: number, body = 'hi'): { ids: string[]; xml: string } {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const xml = ids
    .map(
      (id) => `<message to='zoe@localhost' id='${id}' type='chat'><body>${body}</body></message>`,
    )
    .join('');
  return { ids, xml };
}

/** parley_c2s_shaper_pauses_total for one stage and limit. */
async function pauses(h: Harness, stage: string, limit: string): Promise<number> {
  const text = await h.metrics.text();
  const m = new RegExp(
    `parley_c2s_shaper_pauses_total\\{stage="${stage}",limit="${limit}"\\} (\\d+)`,
  ).exec(text);
  return Number(m?.[1] ?? NaN);
}

describe('traffic shaping', () => {
  let h: Harness;
  let arrivals: Arrivals;

  beforeAll(async () => {
    h = await startHarness({ configure });
    arrivals = new Arrivals(h);
    for (const u of ['ada', 'bea', 'cid', 'dee', 'bot']) await h.createAccount(u, 'secret');
  });
  afterAll(() => h.close());

  it('TCP: stanzas over the stanzas/s bucket wait, in order, none lost; the stream stays open; others go on', async () => {
    const before = await pauses(h, 'authenticated', 'stanzas');
    const { client } = await h.login('ada', 'secret', 'flood');
    const { client: other } = await h.login('bea', 'secret', 'calm');
    const flood = messages('f', 30);
    client.send(flood.xml);
    // The burst goes through at once, then the rest waits for tokens.
    await h.registry.waitFor('stanza', (s) => s.env.id === `f${BURST - 1}`);
    other.send("<message to='zoe@localhost' id='calm1' type='chat'><body>hi</body></message>");
    await h.registry.waitFor('stanza', (s) => s.env.id === 'calm1');
    await h.registry.waitFor('stanza', (s) => s.env.id === 'f29');

    const order = arrivals.order.filter((id) => id.startsWith('f') || id === 'calm1');
    expect(order.filter((id) => id !== 'calm1')).toEqual(flood.ids);
    // The other session was not held behind the flood.
    expect(order.indexOf('calm1')).toBeLessThan(order.indexOf('f29'));
    // 25 stanzas past the burst at 50/s: at least 0.5 s (a lower bound: shaping delays, never speeds up).
    expect(arrivals.spread(flood.ids)).toBeGreaterThanOrEqual(((30 - BURST) / RATE) * 1000 - 60);
    expect(await pauses(h, 'authenticated', 'stanzas')).toBeGreaterThan(before);

    // Still open: an IQ is answered.
    client.send("<iq type='get' id='still'><ping xmlns='urn:xmpp:ping'/></iq>");
    await h.registry.waitFor('stanza', (s) => s.env.id === 'still');
    expect(client.socketClosed).toBe(false);
    client.close();
    other.close();
  });

  it('TCP: bytes over the bytes/s bucket pause reading; everything arrives later, in order', async () => {
    const bytesHarness = await startHarness({
      gatewayId: 'gw-bytes',
      configure: (c) => {
        configure(c);
        c.shaper.authenticated = {
          bytesPerSecond: 100_000,
          burstBytes: 8_192,
          stanzasPerSecond: 0,
          burstStanzas: 1,
        };
      },
    });
    try {
      const byteArrivals = new Arrivals(bytesHarness);
      await bytesHarness.createAccount('ada', 'secret');
      const before = await pauses(bytesHarness, 'authenticated', 'bytes');
      const { client } = await bytesHarness.login('ada', 'secret', 'big');
      const big = messages('b', 8, 'x'.repeat(10_000));
      client.send(big.xml);
      await bytesHarness.registry.waitFor('stanza', (s) => s.env.id === 'b7');
      expect(byteArrivals.order.filter((id) => id.startsWith('b'))).toEqual(big.ids);
      // About 80 KB past an 8 KiB burst at 100 KB/s: the last arrives at least ~0.6 s after the first.
      expect(byteArrivals.spread(big.ids)).toBeGreaterThanOrEqual(500);
      expect(await pauses(bytesHarness, 'authenticated', 'bytes')).toBeGreaterThan(before);
      expect(client.socketClosed).toBe(false);
      client.close();
    } finally {
      await bytesHarness.close();
    }
  });

  it('shapes unauthenticated streams with their own limits, and not the exempt accounts', async () => {
    const before = await pauses(h, 'unauthenticated', 'stanzas');
    const early = await h.connect();
    await early.open();
    await early.starttls();
    await early.open();
    // Registration form requests before authentication: 2 at once, then 50/s.
    for (let i = 0; i < 6; i++) {
      early.send(`<iq type='get' id='reg${i}'><query xmlns='jabber:iq:register'/></iq>`);
    }
    for (let i = 0; i < 6; i++) {
      const reply = await early.nextMatching((e) => e.attr('id') === `reg${i}`, `reg${i}`);
      expect(reply.attr('type')).toBe('result');
    }
    expect(await pauses(h, 'unauthenticated', 'stanzas')).toBeGreaterThan(before);
    early.close();

    const authBefore = await pauses(h, 'authenticated', 'stanzas');
    const { client } = await h.login('bot', 'secret', 'bridge');
    const burst = messages('bot', 30);
    client.send(burst.xml);
    await h.registry.waitFor('stanza', (s) => s.env.id === 'bot29');
    expect(await pauses(h, 'authenticated', 'stanzas')).toBe(authBefore);
    client.close();
  });

  it('WebSocket: messages over the bucket wait, in order, none lost', async () => {
    const before = await pauses(h, 'authenticated', 'stanzas');
    const ws = await wsLogin(`ws://127.0.0.1:${h.gateway.ports.websocket}/xmpp-websocket`, 'cid');
    const flood = messages('w', 20);
    for (const id of flood.ids) {
      ws.ws.send(
        `<message xmlns='jabber:client' to='zoe@localhost' id='${id}' type='chat'><body>hi</body></message>`,
      );
    }
    await h.registry.waitFor('stanza', (s) => s.env.id === 'w19');
    expect(arrivals.order.filter((id) => /^w\d+$/.test(id))).toEqual(flood.ids);
    expect(arrivals.spread(flood.ids)).toBeGreaterThanOrEqual(((20 - BURST) / RATE) * 1000 - 60);
    expect(await pauses(h, 'authenticated', 'stanzas')).toBeGreaterThan(before);
    expect(ws.ws.readyState).toBe(WebSocket.OPEN);
    ws.ws.terminate();
  });

  it('BOSH: a request that comes while the session is throttled waits for the buckets', async () => {
    const url = `http://127.0.0.1:${h.gateway.ports.websocket}/http-bind`;
    const c = new BoshTestClient(url);
    await c.create();
    await c.login('dee', 'secret', 'web');
    const first = messages('x', 20);
    const second = messages('y', 5);
    const r1 = c.send(first.xml);
    await h.registry.waitFor('stanza', (s) => s.env.id === `x${BURST - 1}`);
    // The next request comes while the first one's stanzas still wait: it is held back.
    const r2 = c.send(second.xml);
    await h.logged('BOSH request waits for the shaper', { sid: c.sid });
    await h.registry.waitFor('stanza', (s) => s.env.id === 'y4');
    expect(arrivals.order.filter((id) => /^[xy]\d+$/.test(id))).toEqual([
      ...first.ids,
      ...second.ids,
    ]);
    expect(arrivals.spread([...first.ids, ...second.ids])).toBeGreaterThanOrEqual(
      ((25 - BURST) / RATE) * 1000 - 60,
    );
    // r1 was answered when r2 was held; r2 is answered by the next request.
    await r1;
    const bye = await c.send('', { type: 'terminate' });
    await r2;
    expect(bye.body.attr('type')).toBe('terminate');
    expect(bye.body.attr('condition')).toBeUndefined();
  });
});

/** A minimal RFC 7395 client: PLAIN login (ws:// is declared secure here) and bind. */
async function wsLogin(url: string, user: string): Promise<{ ws: WebSocket }> {
  const ws = new WebSocket(url, ['xmpp']);
  const inbox: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    inbox.push(data.toString('utf8'));
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const expectMessage = async (pred: (text: string) => boolean, what: string): Promise<string> => {
    const deadline = performance.now() + 5_000;
    for (;;) {
      const i = inbox.findIndex(pred);
      if (i !== -1) return inbox.splice(i, 1)[0]!;
      if (performance.now() > deadline) throw new Error(`no ${what}; got ${inbox.join(' | ')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  const open = async (): Promise<void> => {
    ws.send(
      `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0' xml:lang='en'/>`,
    );
    await expectMessage((t) => t.includes('<stream:features'), 'features');
  };
  await open();
  const creds = Buffer.from(`\0${user}\0secret`).toString('base64');
  ws.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${creds}</auth>`);
  await expectMessage((t) => t.startsWith('<success'), 'SASL success');
  await open();
  ws.send(
    `<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='${NS_BIND}'><resource>ws</resource></bind></iq>`,
  );
  await expectMessage((t) => t.includes("id='b1'") || t.includes('id="b1"'), 'bind result');
  return { ws };
}
