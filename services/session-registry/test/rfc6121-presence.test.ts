/**
 * RFC 6121 section 4: presence broadcast and probes, over the bus with the
 * registry alone. Alice is the user; her contacts, all on this server:
 *
 * - bob: subscription both ways ("Both" in alice's roster, "Both" in bob's);
 * - carol: subscribed to alice ("From" / "To");
 * - dave: alice is subscribed to him ("To" / "From");
 * - erin: no subscription at all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '@parley/routing';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { FakeSession } from './harness.js';
import { Harness, brief, jidOf } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');
const CAROL = jidOf('carol');
const DAVE = jidOf('dave');
const ERIN = jidOf('erin');

let h: Harness;
let bob: FakeSession;
let carol: FakeSession;
let dave: FakeSession;
let erin: FakeSession;

beforeEach(async () => {
  h = await Harness.start({ accounts: ['alice', 'bob', 'carol', 'dave', 'erin'] });
  await h.setItem(ALICE, BOB, { subscription: 'both' });
  await h.setItem(BOB, ALICE, { subscription: 'both' });
  await h.setItem(ALICE, CAROL, { subscription: 'from' });
  await h.setItem(CAROL, ALICE, { subscription: 'to' });
  await h.setItem(ALICE, DAVE, { subscription: 'to' });
  await h.setItem(DAVE, ALICE, { subscription: 'from' });
  bob = await h.online(BOB, 'b');
  carol = await h.online(CAROL, 'c');
  dave = await h.online(DAVE, 'd');
  erin = await h.online(ERIN, 'e');
  for (const s of [bob, carol, dave, erin]) await s.drain();
  h.takeRouted();
});
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

/** Presence stanzas among what a session got, as sorted `brief` lines. */
const presences = (got: Element[]) =>
  got
    .filter((e) => e.name === 'presence')
    .map(brief)
    .sort();

/** Stanzas the server routed on alice's behalf (from her bare or full JIDs), sorted. */
const fromAlice = () =>
  h
    .takeRouted()
    .filter((r) => r.split(' ')[1]!.startsWith(ALICE))
    .sort();

/** The routed envelopes of one line of `takeRouted` (to look inside them). */
const routedEnvelopes = (pred: (e: Envelope) => boolean) => h.routed.filter(pred);

async function aliceOnline(
  resource: string,
  presence = `<presence xmlns='jabber:client'/>`,
): Promise<FakeSession> {
  const s = await h.bind(ALICE, resource);
  s.rosterGet();
  s.send(presence);
  await h.settle();
  return s;
}

describe('RFC 6121 4.2: initial presence', () => {
  it('RFC 6121 4.2.2: goes to the subscribers (From/Both) and probes the contacts the user is subscribed to (To/Both)', async () => {
    await aliceOnline('a');
    expect(fromAlice()).toEqual(
      [
        `presence ${ALICE}/a -> ${BOB}`,
        `presence ${ALICE}/a -> ${CAROL}`,
        `presence:probe ${ALICE}/a -> ${BOB}`,
        `presence:probe ${ALICE}/a -> ${DAVE}`,
      ].sort(),
    );
    expect(presences(await bob.drain())).toEqual([`presence ${ALICE}/a -> ${BOB}`]);
    expect(presences(await carol.drain())).toEqual([`presence ${ALICE}/a -> ${CAROL}`]);
    // The probe is answered by dave's server, never delivered to dave; erin hears nothing.
    expect(await dave.drain()).toEqual([]);
    expect(await erin.drain()).toEqual([]);
  });

  it("RFC 6121 4.2.2 / 4.3.2: the user gets her own presence and the probed contacts' current presence", async () => {
    const a = await aliceOnline('a');
    expect(presences(await a.drain())).toEqual(
      [
        `presence ${ALICE}/a -> ${ALICE}/a`,
        `presence ${BOB}/b -> ${ALICE}/a`,
        `presence ${DAVE}/d -> ${ALICE}/a`,
      ].sort(),
    );
  });

  it("RFC 6121 4.2.2: a second resource's initial presence reaches the first one; probes are sent again", async () => {
    const a = await aliceOnline('a');
    await a.drain();
    h.takeRouted();
    const a2 = await aliceOnline('a2');
    expect(presences(await a.drain())).toEqual([`presence ${ALICE}/a2 -> ${ALICE}/a`]);
    expect(presences(await a2.drain())).toContain(`presence ${ALICE}/a2 -> ${ALICE}/a2`);
    expect(fromAlice().filter((r) => r.startsWith('presence:probe'))).toEqual([
      `presence:probe ${ALICE}/a2 -> ${BOB}`,
      `presence:probe ${ALICE}/a2 -> ${DAVE}`,
    ]);
  });

  it('RFC 6121 4.2.2: a connected resource that sent no presence gets no presence broadcast', async () => {
    const quiet = await h.bind(ALICE, 'quiet');
    await aliceOnline('a');
    expect(presences(await quiet.drain())).toEqual([]);
  });
});

describe('RFC 6121 4.3: presence probes', () => {
  const probe = (from: string) =>
    h.routeIn(`<presence xmlns='jabber:client' type='probe' from='${from}' to='${ALICE}'/>`);

  it('RFC 6121 4.3.2: a subscriber gets the last available presence of every available resource', async () => {
    const a = await aliceOnline(
      'a',
      `<presence xmlns='jabber:client'><status>first</status></presence>`,
    );
    const a2 = await aliceOnline(
      'a2',
      `<presence xmlns='jabber:client'><show>dnd</show><priority>-1</priority></presence>`,
    );
    a.send(`<presence xmlns='jabber:client'><show>away</show><status>later</status></presence>`);
    await h.settle();
    h.takeRouted();
    probe(`${BOB}/b`);
    await h.settle();
    const answers = routedEnvelopes((e) => e.to === `${BOB}/b`).map((e) => parseXml(e.xml));
    expect(answers.map(brief).sort()).toEqual([
      `presence ${ALICE}/a -> ${BOB}/b`,
      `presence ${ALICE}/a2 -> ${BOB}/b`,
    ]);
    const byFrom = new Map(answers.map((p) => [p.attr('from'), p]));
    expect(byFrom.get(`${ALICE}/a`)!.getChildText('status')).toBe('later');
    expect(byFrom.get(`${ALICE}/a`)!.getChildText('show')).toBe('away');
    expect(byFrom.get(`${ALICE}/a2`)!.getChildText('show')).toBe('dnd');
    expect(byFrom.get(`${ALICE}/a2`)!.getChildText('priority')).toBe('-1');
    // Answered by the server: never shown to alice's resources.
    expect(presences(await a.drain()).filter((p) => p.includes('probe'))).toEqual([]);
    expect(presences(await a2.drain()).filter((p) => p.includes('probe'))).toEqual([]);
  });

  it('RFC 6121 4.3.2: a subscriber probing while no resource is available gets unavailable from the bare JID', async () => {
    probe(`${CAROL}/c`);
    await h.settle();
    expect(fromAlice()).toEqual([`presence:unavailable ${ALICE} -> ${CAROL}/c`]);
  });

  it.each([
    ['"To" (she is subscribed to him, not he to her)', DAVE],
    ['no subscription', ERIN],
  ])(
    'RFC 6121 4.3.2: a probe from a contact with %s reveals nothing: unsubscribed',
    async (_what, who) => {
      await aliceOnline('a');
      h.takeRouted();
      probe(`${who}/x`);
      await h.settle();
      expect(fromAlice()).toEqual([`presence:unsubscribed ${ALICE} -> ${who}`]);
    },
  );
});

describe('RFC 6121 4.4: subsequent presence broadcast', () => {
  it('RFC 6121 4.4.2: goes to the subscribers and the own available resources, without new probes', async () => {
    const a = await aliceOnline('a');
    const a2 = await aliceOnline('a2');
    for (const s of [a, a2, bob, carol]) await s.drain();
    h.takeRouted();
    a.send(`<presence xmlns='jabber:client'><show>away</show></presence>`);
    await h.settle();
    expect(fromAlice()).toEqual([
      `presence ${ALICE}/a -> ${BOB}`,
      `presence ${ALICE}/a -> ${CAROL}`,
    ]);
    expect(presences(await a.drain())).toEqual([`presence ${ALICE}/a -> ${ALICE}/a`]);
    expect(presences(await a2.drain())).toEqual([`presence ${ALICE}/a -> ${ALICE}/a2`]);
    const atBob = (await bob.drain()).filter((e) => e.name === 'presence');
    expect(atBob.map(brief)).toEqual([`presence ${ALICE}/a -> ${BOB}`]);
    expect(atBob[0]!.getChildText('show')).toBe('away');
    expect(await dave.drain()).toEqual([]);
    expect(await erin.drain()).toEqual([]);
  });
});

describe('RFC 6121 4.5: unavailable presence', () => {
  it.each([
    ['4.5.1 / 4.5.2: the client sends unavailable', 'presence'],
    ['4.5.3 / 4.5.2: the connection closes without it', 'unbind'],
  ] as const)('RFC 6121 %s: subscribers and own resources learn it', async (_what, how) => {
    const a = await aliceOnline('a');
    const a2 = await aliceOnline('a2');
    for (const s of [a, a2, bob, carol]) await s.drain();
    h.takeRouted();
    if (how === 'presence') a.presence({ type: 'unavailable' });
    else a.unbind();
    await h.settle();
    expect(fromAlice()).toEqual([
      `presence:unavailable ${ALICE}/a -> ${BOB}`,
      `presence:unavailable ${ALICE}/a -> ${CAROL}`,
    ]);
    expect(presences(await bob.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${BOB}`]);
    expect(presences(await carol.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${CAROL}`]);
    expect(presences(await a2.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${ALICE}/a2`]);
    if (how === 'presence')
      expect(presences(await a.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${ALICE}/a`]);
    expect(await dave.drain()).toEqual([]);
    // The other resource is still available: a probe gets its presence only.
    h.routeIn(`<presence xmlns='jabber:client' type='probe' from='${BOB}/b' to='${ALICE}'/>`);
    await h.settle();
    expect(fromAlice()).toEqual([`presence ${ALICE}/a2 -> ${BOB}/b`]);
  });

  it('RFC 6121 4.5.3: a session that closes without ever being available sends no unavailable presence', async () => {
    const quiet = await h.bind(ALICE, 'quiet');
    quiet.unbind();
    await h.settle();
    expect(fromAlice()).toEqual([]);
  });

  it('XEP-0012: the end of the last session is recorded as last activity', async () => {
    const a = await aliceOnline('a');
    expect(await h.stores.lastActivity.get(ALICE)).toBeUndefined();
    a.unbind();
    await h.settle();
    expect(await h.stores.lastActivity.get(ALICE)).toMatchObject({ ts: expect.any(Number) });
  });
});

describe('RFC 6121 4.6: directed presence', () => {
  it('RFC 6121 4.6.2 / 4.6.3: a non-subscriber that got directed presence gets unavailable when the user goes offline', async () => {
    const a = await aliceOnline('a');
    a.send(`<presence xmlns='jabber:client' to='${ERIN}'><status>hi erin</status></presence>`);
    await h.settle();
    const atErin = (await erin.drain()).filter((e) => e.name === 'presence');
    expect(atErin.map(brief)).toEqual([`presence ${ALICE}/a -> ${ERIN}`]);
    expect(atErin[0]!.getChildText('status')).toBe('hi erin');
    h.takeRouted();
    a.presence({ type: 'unavailable' });
    await h.settle();
    expect(presences(await erin.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${ERIN}`]);
    expect(fromAlice()).toEqual([
      `presence:unavailable ${ALICE}/a -> ${BOB}`,
      `presence:unavailable ${ALICE}/a -> ${CAROL}`,
      `presence:unavailable ${ALICE}/a -> ${ERIN}`,
    ]);
  });

  it('RFC 6121 4.6.3: directed unavailable ends the tracking: no second unavailable later', async () => {
    const a = await aliceOnline('a');
    a.send(`<presence xmlns='jabber:client' to='${ERIN}'/>`);
    a.send(`<presence xmlns='jabber:client' to='${ERIN}' type='unavailable'/>`);
    await h.settle();
    expect(presences(await erin.drain())).toEqual([
      `presence ${ALICE}/a -> ${ERIN}`,
      `presence:unavailable ${ALICE}/a -> ${ERIN}`,
    ]);
    a.unbind();
    expect(await erin.drain()).toEqual([]);
  });

  it('RFC 6121 4.6.2: directed presence to a subscriber is not tracked twice: one unavailable', async () => {
    const a = await aliceOnline('a');
    a.send(`<presence xmlns='jabber:client' to='${BOB}'><show>chat</show></presence>`);
    await h.settle();
    await bob.drain();
    a.unbind();
    expect(presences(await bob.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${BOB}`]);
  });

  it('RFC 6121 4.6.2: directed presence to a full JID is tracked for that full JID', async () => {
    const a = await aliceOnline('a');
    a.send(`<presence xmlns='jabber:client' to='${ERIN}/e'/>`);
    await h.settle();
    expect(presences(await erin.drain())).toEqual([`presence ${ALICE}/a -> ${ERIN}/e`]);
    a.unbind();
    expect(presences(await erin.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${ERIN}/e`]);
  });

  it('RFC 6121 4.6.2: directed presence before initial presence still ends with unavailable when the session ends', async () => {
    const a = await h.bind(ALICE, 'a');
    a.send(`<presence xmlns='jabber:client' to='${ERIN}'/>`);
    await h.settle();
    expect(presences(await erin.drain())).toEqual([`presence ${ALICE}/a -> ${ERIN}`]);
    h.takeRouted();
    a.unbind();
    await h.settle();
    // Only erin: the session never broadcast, so subscribers hear nothing.
    expect(fromAlice()).toEqual([`presence:unavailable ${ALICE}/a -> ${ERIN}`]);
    expect(presences(await erin.drain())).toEqual([`presence:unavailable ${ALICE}/a -> ${ERIN}`]);
    expect(await bob.drain()).toEqual([]);
  });

  it('RFC 6121 4.6.3: after the broadcast unavailable, the directed list starts empty again', async () => {
    const a = await aliceOnline('a');
    a.send(`<presence xmlns='jabber:client' to='${ERIN}'/>`);
    a.presence({ type: 'unavailable' });
    await h.settle();
    await erin.drain();
    a.presence(); // available again: erin is not a subscriber, she gets nothing
    await h.settle();
    a.unbind();
    expect(await erin.drain()).toEqual([]);
  });
});
