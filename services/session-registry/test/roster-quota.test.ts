/**
 * Roster items per account (`quotas.rosterMaxItems`): a roster set, an
 * outbound subscription or pre-approval, and an inbound subscription
 * request that would add a contact to a full roster are refused with
 * <not-allowed/>; changing and removing items keeps working.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NS_ROSTER } from '@parley/stanza';
import type { FakeSession } from './harness.js';
import { Harness, brief, errorCondition, jidOf } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');
const CAROL = jidOf('carol');
const DAVE = jidOf('dave');

let h: Harness;
let alice: FakeSession;

beforeEach(async () => {
  h = await Harness.start({
    accounts: ['alice', 'bob', 'carol', 'dave'],
    config: (c) => {
      c.quotas.rosterMaxItems = 2;
    },
  });
  alice = await h.online(ALICE, 'a');
  await alice.drain();
  h.takeRouted();
});
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

async function rosterSet(item: string): Promise<string | undefined> {
  const id = alice.nextId();
  alice.send(
    `<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`,
  );
  const reply = (await alice.drain()).find((e) => e.name === 'iq' && e.attr('id') === id);
  expect(reply, `no answer to ${id}`).toBeDefined();
  return reply!.attr('type') === 'error' ? errorCondition(reply!) : reply!.attr('type');
}

describe('quotas.rosterMaxItems', () => {
  it('a roster set adding an item to a full roster is refused; updates and removals still work', async () => {
    expect(await rosterSet(`<item jid='${BOB}'/>`)).toBe('result');
    expect(await rosterSet(`<item jid='${CAROL}'/>`)).toBe('result');
    expect(await rosterSet(`<item jid='${DAVE}'/>`)).toBe('not-allowed');
    expect(await h.item(ALICE, DAVE)).toBeUndefined();
    expect(await rosterSet(`<item jid='${BOB}' name='Bob'><group>Friends</group></item>`)).toBe(
      'result',
    );
    expect(await rosterSet(`<item jid='${CAROL}' subscription='remove'/>`)).toBe('result');
    expect(await rosterSet(`<item jid='${DAVE}'/>`)).toBe('result');
  });

  it('an outbound subscription or pre-approval for a new contact is refused to the sender, nothing routed', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'none' });
    await h.setItem(ALICE, CAROL, { subscription: 'none' });
    for (const type of ['subscribe', 'subscribed']) {
      alice.send(`<presence xmlns='jabber:client' to='${DAVE}' type='${type}'/>`);
      const got = await alice.drain();
      expect(got.map(brief)).toEqual([`presence:error ${ALICE} -> ${ALICE}/a`]);
      expect(errorCondition(got[0]!)).toBe('not-allowed');
    }
    expect(h.takeRouted().filter((r) => r.includes(DAVE))).toEqual([]);
    expect(await h.item(ALICE, DAVE)).toBeUndefined();
    // An existing contact may still be asked.
    alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='subscribe'/>`);
    await alice.drain();
    expect(h.takeRouted()).toContain(`presence:subscribe ${ALICE} -> ${BOB}`);
  });

  it('a subscription request from a new contact bounces while pending requests fill the roster', async () => {
    for (const from of [BOB, CAROL])
      h.routeIn(`<presence xmlns='jabber:client' from='${from}' to='${ALICE}' type='subscribe'/>`);
    expect((await alice.drain()).filter((e) => e.name === 'presence')).toHaveLength(2);
    h.routeIn(`<presence xmlns='jabber:client' from='${DAVE}' to='${ALICE}' type='subscribe'/>`);
    expect((await alice.drain()).filter((e) => e.name === 'presence')).toEqual([]);
    expect(h.takeRouted()).toEqual([`presence:error ${ALICE} -> ${DAVE}`]);
    expect(await h.item(ALICE, DAVE)).toBeUndefined();
    // Denying a request frees its place.
    alice.send(`<presence xmlns='jabber:client' to='${CAROL}' type='unsubscribed'/>`);
    await alice.drain();
    h.takeRouted();
    h.routeIn(`<presence xmlns='jabber:client' from='${DAVE}' to='${ALICE}' type='subscribe'/>`);
    expect((await alice.drain()).map(brief)).toContain(`presence:subscribe ${DAVE} -> ${ALICE}`);
  });
});
