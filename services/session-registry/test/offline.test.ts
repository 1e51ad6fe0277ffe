/**
 * Offline storage (XEP-0160, RFC 6121 8.5.2.2.1): messages for an account
 * with no available resource are kept, stamped with <delay/>, and handed
 * to the next resource that becomes available with a non-negative
 * priority; a full queue answers the sender. Also what is kept for the
 * next available presence besides messages (subscription requests, RFC
 * 6121 3.1.3), and deliveries a gateway could not hand over (bounces),
 * which are routed again as if that session did not exist.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NS_DELAY } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { FakeSession, HarnessOptions } from './harness.js';
import { DOMAIN, Harness, brief, errorCondition, jidOf } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');

let h: Harness;
let bob: FakeSession;

async function start(config?: HarnessOptions['config']): Promise<void> {
  h = await Harness.start({ accounts: ['alice', 'bob'], ...(config ? { config } : {}) });
  bob = await h.online(BOB, 'b');
}
afterEach(async () => {
  vi.useRealTimers();
  expect(h.problems()).toEqual([]);
  await h.close();
});

const chat = (body: string, to = ALICE, type = 'chat') =>
  `<message xmlns='jabber:client' to='${to}' type='${type}' id='${body}'><body>${body}</body></message>`;
const bodies = (got: Element[]) =>
  got.filter((e) => e.name === 'message').map((e) => e.getChildText('body'));
const stored = async () => (await h.stores.offline.list(ALICE, 10_000)).length;

describe('XEP-0160: offline storage', () => {
  it('RFC 6121 8.5.2.2.1 / XEP-0160: a message for an account with no available resource is stored with a delay stamp', async () => {
    await start();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-05-06T07:08:09.123Z'));
    bob.send(chat('while away'));
    expect(await bob.drain()).toEqual([]); // no error: it is kept
    const [kept, ...rest] = await h.stores.offline.list(ALICE, 10);
    expect(rest).toEqual([]);
    expect(kept!.xml).toContain(`<body>while away</body>`);
    vi.useRealTimers();
    const a = await h.bind(ALICE, 'a');
    a.presence();
    const [msg, ...others] = (await a.drain()).filter((e) => e.name === 'message');
    expect(others).toEqual([]);
    expect(brief(msg!)).toBe(`message:chat ${bob.jid} -> ${ALICE}`);
    expect(msg!.attr('id')).toBe('while away');
    const delay = msg!.getChild('delay', NS_DELAY);
    expect(delay?.attr('from')).toBe(DOMAIN);
    expect(delay?.attr('stamp')).toBe('2024-05-06T07:08:09.123Z');
    expect(delay?.text()).toBe('Offline Storage');
  });

  it('XEP-0160: stored messages come in the order they were sent, once, and leave the store', async () => {
    await start();
    for (let i = 1; i <= 5; i++) bob.send(chat(`m${i}`));
    await h.settle();
    expect(await stored()).toBe(5);
    const a = await h.bind(ALICE, 'a');
    a.presence();
    expect(bodies(await a.drain())).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(await stored()).toBe(0);
    // A second resource coming online later gets none of them again.
    const a2 = await h.bind(ALICE, 'a2');
    a2.presence();
    expect(bodies(await a2.drain())).toEqual([]);
  });

  it('XEP-0160: all of a long queue is delivered, in order (more than one batch)', async () => {
    await start();
    const n = 250;
    for (let i = 0; i < n; i++) bob.send(chat(`m${i}`, ALICE, 'normal'));
    await h.settle();
    expect(await stored()).toBe(n);
    const a = await h.bind(ALICE, 'a');
    a.presence();
    expect(bodies(await a.drain())).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(await stored()).toBe(0);
  });

  it('XEP-0160: an available resource with negative priority gets nothing stored; raising it to 0 delivers', async () => {
    await start();
    bob.send(chat('kept'));
    await h.settle();
    const a = await h.bind(ALICE, 'a');
    a.presence({ priority: -1 });
    expect(bodies(await a.drain())).toEqual([]);
    expect(await stored()).toBe(1);
    // Meanwhile a new message is stored too: the only resource is negative.
    bob.send(chat('also kept'));
    expect(bodies(await a.drain())).toEqual([]);
    a.presence({ priority: 0 });
    expect(bodies(await a.drain())).toEqual(['kept', 'also kept']);
    expect(await stored()).toBe(0);
  });

  it('XEP-0160: a change of presence of an already available resource does not deliver again', async () => {
    await start();
    const a = await h.online(ALICE, 'a');
    await h.stores.offline.push(
      ALICE,
      chat('planted').replace('<message', `<message from='${BOB}/b'`),
      0,
      1000,
    );
    a.presence({ show: 'away' });
    expect(bodies(await a.drain())).toEqual([]);
    expect(await stored()).toBe(1);
  });

  it('XEP-0160: a full queue answers the sender with service-unavailable and keeps what it had', async () => {
    await start((c) => (c.offline.maxPerUser = 2));
    for (const b of ['one', 'two', 'three']) bob.send(chat(b));
    const back = await bob.drain();
    expect(back.map(brief)).toEqual([`message:error ${ALICE} -> ${bob.jid}`]);
    expect(back[0]!.attr('id')).toBe('three');
    expect(errorCondition(back[0]!)).toBe('service-unavailable');
    expect(await stored()).toBe(2);
    const a = await h.bind(ALICE, 'a');
    a.presence();
    expect(bodies(await a.drain())).toEqual(['one', 'two']);
  });

  it('XEP-0160: offline.maxPerUser 0 disables storage: every message is answered with an error', async () => {
    await start((c) => (c.offline.maxPerUser = 0));
    bob.send(chat('nowhere'));
    const back = await bob.drain();
    expect(back.map((e) => errorCondition(e))).toEqual(['service-unavailable']);
    expect(await stored()).toBe(0);
  });
});

describe('RFC 6121 3.1.3: subscription requests wait for the next available presence', () => {
  it('RFC 6121 3.1.3: a request received while offline is delivered at each login until it is answered', async () => {
    await start();
    bob.send(`<presence xmlns='jabber:client' to='${ALICE}' type='subscribe'/>`);
    await h.settle();
    const first = await h.bind(ALICE, 'a');
    first.presence();
    const requests = (got: Element[]) =>
      got.filter((e) => e.name === 'presence' && e.attr('type') === 'subscribe').map(brief);
    expect(requests(await first.drain())).toEqual([`presence:subscribe ${BOB} -> ${ALICE}/a`]);
    first.unbind();
    await h.settle();
    const second = await h.bind(ALICE, 'a');
    second.presence();
    expect(requests(await second.drain())).toEqual([`presence:subscribe ${BOB} -> ${ALICE}/a`]);
    second.send(`<presence xmlns='jabber:client' to='${BOB}' type='subscribed'/>`);
    await h.settle();
    second.unbind();
    await h.settle();
    const third = await h.bind(ALICE, 'a');
    third.presence();
    expect(requests(await third.drain())).toEqual([]);
  });
});

describe('bounces: a delivery the gateway could not hand over is routed as if that session did not exist', () => {
  it('RFC 6121 8.5.3.2.1: a message to a full JID whose connection is gone goes to the bare JID: another resource', async () => {
    await start();
    const a1 = await h.online(ALICE, 'a1', { priority: 5 });
    const a2 = await h.online(ALICE, 'a2', { priority: 1 });
    await a2.drain();
    a1.connected = false; // the socket died; the gateway has not said so yet
    bob.send(chat('to a1', `${ALICE}/a1`));
    expect(bodies(await a2.drain())).toEqual(['to a1']);
    expect(await bob.drain()).toEqual([]);
    expect(await stored()).toBe(0);
  });

  it('XEP-0160: a message whose only recipient connection is gone is stored, not lost', async () => {
    await start();
    const a = await h.online(ALICE, 'a');
    a.connected = false;
    bob.send(chat('bounced'));
    await h.settle();
    expect(await stored()).toBe(1);
    expect(await bob.drain()).toEqual([]);
  });

  it('RFC 6121 8.5.3.2.3: an IQ whose recipient connection is gone is answered with service-unavailable', async () => {
    await start();
    const a = await h.online(ALICE, 'a');
    a.connected = false;
    bob.send(
      `<iq xmlns='jabber:client' type='get' id='v1' to='${ALICE}/a'><query xmlns='jabber:iq:version'/></iq>`,
    );
    const back = await bob.drain();
    expect(back.map(brief)).toEqual([`iq:error ${ALICE}/a -> ${bob.jid}`]);
    expect(errorCondition(back[0]!)).toBe('service-unavailable');
  });
});
