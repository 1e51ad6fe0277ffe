/**
 * RFC 6121 section 3 (managing presence subscriptions), driven over TCP with
 * @xmpp/client: requests, approvals, denials, cancellations, pre-approvals,
 * and the roster pushes and presence that go with each state change.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { isPresence, isRosterPush, pushedItem, useScenario } from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';

const sub = (value: string) => (item: { attrs: Record<string, string | undefined> }) =>
  item.attrs.subscription === value;

/**
 * `from` sends `type` (unsubscribe or unsubscribed, 3.3 / 3.2) to the bare
 * JID of `to`; `from` gets the roster push to `fromAfter`, `to` the presence
 * from `from`'s bare JID and the roster push to `toAfter`.
 */
async function cancel(
  from: Peer,
  to: Peer,
  type: 'unsubscribe' | 'unsubscribed',
  fromAfter: string,
  toAfter: string,
): Promise<void> {
  await from.send(xml('presence', { to: to.bare, type }));
  await from.next(
    isRosterPush(to.bare, sub(fromAfter)),
    4000,
    `${from.bare} push to "${fromAfter}"`,
  );
  expect((await to.next(isPresence({ type }), 4000, type)).attrs.from).toBe(from.bare);
  await to.next(isRosterPush(from.bare, sub(toAfter)), 4000, `${to.bare} push to "${toAfter}"`);
}

describe('RFC 6121 section 3: presence subscriptions', () => {
  const s = useScenario();

  /** Alice and Bob subscribed both ways, online and interested: each saw the other's presence. */
  async function mutualPair(): Promise<{ a: Peer; b: Peer }> {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });
    await a.next(isPresence({ from: b.jid, type: '' }), 4000, "bob's presence");
    await b.next(isPresence({ from: a.jid, type: '' }), 4000, "alice's presence");
    a.mark();
    b.mark();
    return { a, b };
  }

  it('3.1.2: an outbound request makes the item pending-out (ask=subscribe), pushed and in the roster', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });

    // Addressed to a full JID: the server stamps and routes it bare to bare (3.1.1, 3.1.2).
    await a.send(xml('presence', { to: `${bob}/somewhere`, type: 'subscribe' }));
    const push = await a.next(isRosterPush(bob!), 4000, 'the pending-out push');
    expect(pushedItem(push).attrs.subscription).toBe('none');
    expect(pushedItem(push).attrs.ask).toBe('subscribe');

    // 3.1.3: the contact gets the request from the user's bare JID.
    const req = await b.next(isPresence({ type: 'subscribe' }), 4000, 'the request');
    expect(req.attrs.from).toBe(alice);
    expect(req.attrs.to).toBe(bob);

    const item = await a.rosterItem(bob!);
    expect(item?.attrs.subscription).toBe('none');
    expect(item?.attrs.ask).toBe('subscribe');
  });

  it('3.1.5 / 3.1.6: an approval gives to/from, pushes both sides and sends the contact presence', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });
    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    await b.next(isPresence({ type: 'subscribe' }), 4000, 'the request');
    a.mark();

    await b.send(xml('presence', { to: alice!, type: 'subscribed' }));
    expect((await a.next(isPresence({ type: 'subscribed' }), 4000, 'approval')).attrs.from).toBe(
      bob,
    );
    const aPush = await a.next(isRosterPush(bob!, sub('to')), 4000, 'the push to "to"');
    expect(pushedItem(aPush).attrs.ask).toBeUndefined();
    await b.next(isRosterPush(alice!, sub('from')), 4000, 'the push to "from"');
    // The contact's server sends the contact's current presence to the new subscriber.
    await a.next(isPresence({ from: b.jid, type: '' }), 4000, 'the contact presence');
  });

  it('3.1.3: a request sent while the contact is offline is delivered at its initial presence', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    await a.next(isRosterPush(bob!), 4000, 'the pending-out push');

    // Connected but not yet available: not a recipient of subscription requests.
    const b = await s.login(bob!, { roster: true });
    await s.settle(b);
    expect(b.received(isPresence({ type: 'subscribe' }))).toHaveLength(0);

    await b.available();
    const req = await b.next(isPresence({ type: 'subscribe' }), 4000, 'the stored request');
    expect(req.attrs.from).toBe(alice);
  });

  it('3.2.2 / 3.2.3: a denial (unsubscribed) clears the pending-out state of the requester', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });
    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    await b.next(isPresence({ type: 'subscribe' }), 4000, 'the request');
    a.mark();

    await b.send(xml('presence', { to: alice!, type: 'unsubscribed' }));
    const denial = await a.next(isPresence({ type: 'unsubscribed' }), 4000, 'the denial');
    expect(denial.attrs.from).toBe(bob);
    const push = await a.next(isRosterPush(bob!), 4000, 'the push');
    expect(pushedItem(push).attrs.subscription).toBe('none');
    expect(pushedItem(push).attrs.ask).toBeUndefined();
  });

  it('3.4: a pre-approval makes a later request approved by the server, never shown to the contact', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });

    // Bob pre-approves Alice before she asks: his roster shows approved='true'.
    await b.send(xml('presence', { to: alice!, type: 'subscribed' }));
    const pre = await b.next(isRosterPush(alice!), 4000, 'the pre-approval push');
    expect(pushedItem(pre).attrs.approved).toBe('true');
    expect(pushedItem(pre).attrs.subscription).toBe('none');
    await s.settle(a);
    // The pre-approval is not routed to the contact.
    expect(a.received(isPresence({ from: bob! }))).toHaveLength(0);
    b.mark();

    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    expect(
      (await a.next(isPresence({ type: 'subscribed' }), 4000, 'the auto-approval')).attrs.from,
    ).toBe(bob);
    await a.next(isRosterPush(bob!, sub('to')), 4000, 'the push to "to"');
    await a.next(isPresence({ from: b.jid, type: '' }), 4000, 'the contact presence');
    const bPush = await b.next(isRosterPush(alice!, sub('from')), 4000, 'the push to "from"');
    expect(bPush.getChild('query')!.getChild('item')!.attrs.approved).toBeUndefined();

    await s.settle(b);
    expect(b.received(isPresence({ type: 'subscribe' }))).toHaveLength(0);
    expect((await b.rosterItem(alice!))?.attrs.subscription).toBe('from');
  });

  it('3.1.3: a request from a user already subscribed (contact has "from") is answered subscribed by the server', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    // Bob's server already records Alice as subscribed to him; Alice's roster lost the item.
    await s.setItem(bob!, { jid: alice!, subscription: 'from', groups: [], listed: true });
    const a = await s.login(alice!, { roster: true, priority: 0 });
    const b = await s.login(bob!, { roster: true, priority: 0 });

    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    const reply = await a.next(isPresence({ type: 'subscribed' }), 4000, 'the auto-reply');
    expect(reply.attrs.from).toBe(bob);
    expect(reply.attrs.to).toBe(alice);
    await a.next(isRosterPush(bob!, sub('to')), 4000, 'the push to "to"');

    await s.settle(b);
    expect(b.received(isPresence({ type: 'subscribe' }))).toHaveLength(0);
    expect(b.received(isRosterPush(alice!))).toHaveLength(0);
  });

  it('3.3: unsubscribe takes both -> from/to -> none, and the contact sends unavailable', async () => {
    const { a, b } = await mutualPair();

    // Alice no longer wants Bob's presence: Alice "from", Bob "to".
    await cancel(a, b, 'unsubscribe', 'from', 'to');
    // 3.3.3: Bob's server tells Alice that each of Bob's available resources is gone for her.
    await a.next(isPresence({ from: b.jid, type: 'unavailable' }), 4000, 'unavailable from bob');
    a.mark();
    b.mark();

    // Then Bob unsubscribes from Alice: none on both sides.
    await cancel(b, a, 'unsubscribe', 'none', 'none');
    await b.next(isPresence({ from: a.jid, type: 'unavailable' }), 4000, 'unavailable from alice');

    expect((await s.storedItem(a.bare, b.bare))?.subscription).toBe('none');
    expect((await s.storedItem(b.bare, a.bare))?.subscription).toBe('none');
  });

  it('3.2: unsubscribed (cancellation) takes both -> to/from -> none, and the canceller sends unavailable', async () => {
    const { a, b } = await mutualPair();

    // Alice cancels Bob's subscription to her: Alice "to", Bob "from".
    await cancel(a, b, 'unsubscribed', 'to', 'from');
    // 3.2.2: Alice's server sends unavailable from each of her available resources to Bob.
    await b.next(isPresence({ from: a.jid, type: 'unavailable' }), 4000, 'unavailable from alice');
    a.mark();
    b.mark();

    // Then Bob cancels Alice's subscription to him: none on both sides.
    await cancel(b, a, 'unsubscribed', 'none', 'none');
    await a.next(isPresence({ from: b.jid, type: 'unavailable' }), 4000, 'unavailable from bob');

    expect((await s.storedItem(a.bare, b.bare))?.subscription).toBe('none');
    expect((await s.storedItem(b.bare, a.bare))?.subscription).toBe('none');
  });
});
