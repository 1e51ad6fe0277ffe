/**
 * RFC 6121 section 2: roster get, set and remove, roster pushes to every
 * interested resource, errors and versioning, over the bus with the
 * registry alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NS_ROSTER } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { FakeSession } from './harness.js';
import { Harness, brief, errorCondition, jidOf, pushes, stateOf } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');
const CAROL = jidOf('carol');

let h: Harness;
/** Interested and available. */
let a1: FakeSession;
/** Interested, never sent presence. */
let a2: FakeSession;
/** Available, never asked for the roster. */
let a3: FakeSession;

beforeEach(async () => {
  h = await Harness.start({ accounts: ['alice', 'bob', 'carol'] });
  a1 = await h.online(ALICE, 'a1');
  a2 = await h.bind(ALICE, 'a2');
  a2.rosterGet();
  a3 = await h.online(ALICE, 'a3', { interested: false });
  for (const s of [a1, a2, a3]) await s.drain();
  h.takeRouted();
});
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

/** What the server routed to anyone but alice herself (her IQ results travel that way too). */
const toOthers = () => h.takeRouted().filter((r) => !r.split(' -> ')[1]!.startsWith(ALICE));

function rosterSet(s: FakeSession, item: string, id = s.nextId()): string {
  s.send(
    `<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`,
  );
  return id;
}

/** The answer to request `id` among what a session got, and the rest. */
function answer(got: Element[], id: string): { reply: Element; rest: Element[] } {
  const reply = got.find((e) => e.name === 'iq' && e.attr('id') === id);
  expect(reply, `no answer to ${id}`).toBeDefined();
  return { reply: reply!, rest: got.filter((e) => e !== reply) };
}

const describeItem = (i: Element) =>
  [
    i.attr('jid'),
    i.attr('subscription'),
    i.attr('name') ?? '-',
    i
      .getChildren('group')
      .map((g) => g.text())
      .join(',') || '-',
    i.attr('ask') ?? '',
  ]
    .join(' ')
    .trim();

describe('RFC 6121 2.1.5 / 2.1.6: roster set and pushes', () => {
  it('RFC 6121 2.1.6: adding an item is pushed to every interested resource (the sender too), answered with a result', async () => {
    const id = rosterSet(a1, `<item jid='${BOB}' name='Bob'><group>Friends</group></item>`);
    const { reply, rest } = answer(await a1.drain(), id);
    expect(brief(reply)).toBe(`iq:result ${ALICE} -> ${ALICE}/a1`);
    expect(reply.getChildElements()).toEqual([]);
    for (const got of [rest, await a2.drain()]) {
      expect(got.map(brief)).toEqual([
        `iq:set ${ALICE} -> ${got === rest ? ALICE + '/a1' : ALICE + '/a2'}`,
      ]);
      expect(pushes(got).map(describeItem)).toEqual([`${BOB} none Bob Friends`]);
    }
    // a3 never asked for the roster: no push.
    expect(await a3.drain()).toEqual([]);
    // Nothing goes to the contact: adding an item is not a subscription request.
    expect(toOthers()).toEqual([]);
  });

  it('RFC 6121 2.1.6: each push carries the new roster version and an id of its own', async () => {
    rosterSet(a1, `<item jid='${BOB}'/>`);
    rosterSet(a1, `<item jid='${CAROL}'/>`);
    const got = pushes(await a2.drain()).map((i) => i.parent!);
    expect(got).toHaveLength(2);
    const [v1, v2] = got.map((q) => q.attr('ver'));
    expect(v1).toBeDefined();
    expect(v2).not.toBe(v1);
    expect((await h.stores.rosters.get(ALICE)).version).toBe(v2);
  });

  it('RFC 6121 2.4.1: updating an item (name, groups) keeps its subscription and is pushed', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'both' });
    rosterSet(
      a1,
      `<item jid='${BOB}' name='Robert'><group>Work</group><group>Chess</group></item>`,
    );
    const got = pushes(await a2.drain());
    expect(got.map(describeItem)).toEqual([`${BOB} both Robert Work,Chess`]);
    expect(stateOf(await h.item(ALICE, BOB))).toBe('Both');
  });

  it('RFC 6121 2.1.5: a set that changes nothing a client sees is answered but not pushed', async () => {
    const first = rosterSet(a1, `<item jid='${BOB}' name='Bob'/>`);
    answer(await a1.drain(), first);
    await a2.drain();
    const again = rosterSet(a1, `<item jid='${BOB}' name='Bob'/>`);
    const { rest } = answer(await a1.drain(), again);
    expect(rest).toEqual([]);
    expect(await a2.drain()).toEqual([]);
  });

  it('RFC 6121 2.1.3: a roster get lists the visible items with the version', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'to' });
    await h.setItem(ALICE, CAROL, { subscription: 'none', ask: true });
    // A pending-in only item (a request not answered yet) is not in the roster.
    await h.stores.rosters.setItem(ALICE, {
      jid: jidOf('stranger'),
      subscription: 'none',
      pendingIn: true,
      groups: [],
      listed: false,
    });
    const id = a3.rosterGet();
    const { reply } = answer(await a3.drain(), id);
    const query = reply.getChild('query', NS_ROSTER)!;
    expect(query.attr('ver')).toBe((await h.stores.rosters.get(ALICE)).version);
    expect(query.getChildren('item').map(describeItem).sort()).toEqual(
      [`${BOB} to - -`, `${CAROL} none - - subscribe`].sort(),
    );
  });
});

describe('RFC 6121 2.5: removing an item', () => {
  it('RFC 6121 2.5.2: is pushed as subscription="remove" to every interested resource', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'none' });
    const id = rosterSet(a1, `<item jid='${BOB}' subscription='remove'/>`);
    const { reply, rest } = answer(await a1.drain(), id);
    expect(reply.attr('type')).toBe('result');
    for (const got of [rest, await a2.drain()])
      expect(pushes(got).map((i) => `${i.attr('jid')} ${i.attr('subscription')}`)).toEqual([
        `${BOB} remove`,
      ]);
    expect(await a3.drain()).toEqual([]);
    expect(await h.item(ALICE, BOB)).toBeUndefined();
    expect(toOthers()).toEqual([]);
  });

  it.each([
    ['Both', { subscription: 'both' as const }, ['unsubscribe', 'unsubscribed', 'unavailable']],
    ['To', { subscription: 'to' as const }, ['unsubscribe']],
    ['From', { subscription: 'from' as const }, ['unsubscribed', 'unavailable']],
    ['None + Pending Out', { subscription: 'none' as const, ask: true }, ['unsubscribe']],
    ['None + Pending In', { subscription: 'none' as const, pendingIn: true }, ['unsubscribed']],
  ])(
    'RFC 6121 2.5.2: removing a contact in "%s" cancels the subscriptions both ways',
    async (_state, state, sent) => {
      await h.setItem(ALICE, BOB, state);
      rosterSet(a1, `<item jid='${BOB}' subscription='remove'/>`);
      await a1.drain();
      const routed = toOthers();
      const expected = sent.map((t) =>
        t === 'unavailable'
          ? `presence:unavailable ${ALICE}/a1 -> ${BOB}`
          : `presence:${t} ${ALICE} -> ${BOB}`,
      );
      // a3 is available too: it also goes unavailable for bob.
      if (sent.includes('unavailable')) expected.push(`presence:unavailable ${ALICE}/a3 -> ${BOB}`);
      expect(routed.sort()).toEqual(expected.sort());
    },
  );

  it('RFC 6121 2.5.3: removing an item that is not in the roster is item-not-found', async () => {
    const id = rosterSet(a1, `<item jid='${BOB}' subscription='remove'/>`);
    const { reply, rest } = answer(await a1.drain(), id);
    expect(reply.attr('type')).toBe('error');
    expect(errorCondition(reply)).toBe('item-not-found');
    expect(rest).toEqual([]);
    expect(await a2.drain()).toEqual([]);
  });
});

describe('RFC 6121 2.3.3: roster set errors', () => {
  it.each([
    ['two items', 'bad-request', `<item jid='${BOB}'/><item jid='${CAROL}'/>`],
    ['no item', 'bad-request', ``],
    ['an item without jid', 'bad-request', `<item name='x'/>`],
    ['the user herself', 'not-allowed', `<item jid='${ALICE}'/>`],
    ['an empty group name', 'not-acceptable', `<item jid='${BOB}'><group/></item>`],
    ['a group twice', 'bad-request', `<item jid='${BOB}'><group>A</group><group>A</group></item>`],
  ])(
    'RFC 6121 2.3.3: a set with %s is refused with %s, nothing pushed',
    async (_what, condition, items) => {
      const id = rosterSet(a1, items);
      const { reply, rest } = answer(await a1.drain(), id);
      expect(reply.attr('type')).toBe('error');
      expect(errorCondition(reply)).toBe(condition);
      expect(rest).toEqual([]);
      expect(await a2.drain()).toEqual([]);
      expect((await h.stores.rosters.get(ALICE)).items).toEqual([]);
    },
  );

  it.each(['get', 'set'])(
    "RFC 6121 2.1.5: a roster %s addressed to another user's account is forbidden",
    async (type) => {
      const id = a1.nextId();
      const item = type === 'set' ? `<item jid='${CAROL}'/>` : '';
      a1.send(
        `<iq xmlns='jabber:client' type='${type}' id='${id}' to='${BOB}'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`,
      );
      const { reply } = answer(await a1.drain(), id);
      expect(brief(reply)).toBe(`iq:error ${BOB} -> ${ALICE}/a1`);
      expect(errorCondition(reply)).toBe('forbidden');
      expect((await h.stores.rosters.get(BOB)).items).toEqual([]);
    },
  );
});

describe('RFC 6121 2.6: roster versioning', () => {
  it('RFC 6121 2.6.3: a get with the current version is answered with an empty result', async () => {
    rosterSet(a1, `<item jid='${BOB}'/>`);
    await a1.drain();
    const ver = (await h.stores.rosters.get(ALICE)).version;
    const id = a1.nextId();
    a1.send(
      `<iq xmlns='jabber:client' type='get' id='${id}'><query xmlns='${NS_ROSTER}' ver='${ver}'/></iq>`,
    );
    const { reply } = answer(await a1.drain(), id);
    expect(reply.attr('type')).toBe('result');
    expect(reply.getChildElements()).toEqual([]);
  });

  it('RFC 6121 2.6.3: a get with an older version gets the whole roster and the new version', async () => {
    const old = (await h.stores.rosters.get(ALICE)).version;
    rosterSet(a1, `<item jid='${BOB}'/>`);
    await a1.drain();
    const id = a1.nextId();
    a1.send(
      `<iq xmlns='jabber:client' type='get' id='${id}'><query xmlns='${NS_ROSTER}' ver='${old}'/></iq>`,
    );
    const { reply } = answer(await a1.drain(), id);
    const query = reply.getChild('query', NS_ROSTER)!;
    expect(query.attr('ver')).not.toBe(old);
    expect(query.getChildren('item').map((i) => i.attr('jid'))).toEqual([BOB]);
  });

  it('RFC 6121 2.2: a resource becomes interested with its first roster get (then gets pushes)', async () => {
    rosterSet(a1, `<item jid='${BOB}'/>`);
    expect(await a3.drain()).toEqual([]);
    a3.rosterGet();
    await a3.drain();
    rosterSet(a1, `<item jid='${CAROL}'/>`);
    expect(pushes(await a3.drain()).map((i) => i.attr('jid'))).toEqual([CAROL]);
  });
});
