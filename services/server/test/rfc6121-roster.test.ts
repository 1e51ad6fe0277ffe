/**
 * RFC 6121 section 2 (roster management) and XEP-0237 (roster versioning),
 * driven over TCP with @xmpp/client against the all-in-one server.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import {
  NS_ROSTER,
  errorCondition,
  isPresence,
  isRosterPush,
  pushedItem,
  useScenario,
} from './scenario-helpers.js';

describe('RFC 6121 section 2: roster management', () => {
  const s = useScenario();

  it('2.1.3 / 2.6.3: a roster get returns the roster with its version', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    const reply = await a.rosterGet();
    const query = reply.getChild('query', NS_ROSTER);
    expect(query).toBeDefined();
    expect(query!.attrs.ver).toMatch(/.+/);
    const items = query!.getChildren('item');
    expect(items.map((i) => [i.attrs.jid, i.attrs.subscription])).toEqual([[bob, 'both']]);
  });

  it('2.6.3 (XEP-0237): a roster get with the current version gets an empty result', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'to');
    const a = await s.login(alice!);
    const ver = (await a.rosterGet()).getChild('query', NS_ROSTER)!.attrs.ver!;

    const same = await a.rosterGet(ver);
    expect(same.attrs.type).toBe('result');
    expect(same.children).toHaveLength(0);

    // A stale (or unknown) version gets the whole roster with the current version.
    const stale = await a.rosterGet('stale-version');
    const query = stale.getChild('query', NS_ROSTER)!;
    expect(query.attrs.ver).toBe(ver);
    expect(query.getChildren('item').map((i) => i.attrs.jid)).toEqual([bob]);
  });

  it('2.1.5 / 2.1.6: a roster set adds the item and pushes it to every interested resource', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a1 = await s.login(alice!, { roster: true });
    const a2 = await s.login(alice!, { roster: true });
    const a3 = await s.login(alice!, { priority: 0 }); // available, but never asked for the roster

    const reply = await a1.rosterSet(
      xml(
        'item',
        { jid: bob!, name: 'Bobby' },
        xml('group', {}, 'Friends'),
        xml('group', {}, 'Work'),
      ),
    );
    expect(reply.attrs.type).toBe('result');

    for (const peer of [a1, a2]) {
      const push = await peer.next(isRosterPush(bob!), 4000, 'the roster push');
      // The push comes from the account itself (no 'from' or the bare JID), RFC 6121 2.1.6.
      expect([undefined, alice]).toContain(push.attrs.from);
      expect(push.getChild('query', NS_ROSTER)!.attrs.ver).toMatch(/.+/);
      const item = pushedItem(push);
      expect(item.attrs.name).toBe('Bobby');
      expect(item.attrs.subscription).toBe('none');
      expect(item.attrs.ask).toBeUndefined();
      expect(item.getChildren('group').map((g) => g.getText())).toEqual(['Friends', 'Work']);
    }
    await s.settle(a3);
    expect(a3.received(isRosterPush(bob!))).toHaveLength(0);

    const item = await a2.rosterItem(bob!);
    expect(item?.attrs.name).toBe('Bobby');
    expect(item?.getChildren('group').map((g) => g.getText())).toEqual(['Friends', 'Work']);
  });

  it('2.1.5: a roster set cannot change the subscription state (its subscription/ask are ignored)', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'to');
    const a = await s.login(alice!, { roster: true });
    const reply = await a.rosterSet(
      xml('item', { jid: bob!, name: 'B', subscription: 'both', ask: 'subscribe' }),
    );
    expect(reply.attrs.type).toBe('result');
    const item = pushedItem(await a.next(isRosterPush(bob!), 4000, 'the push'));
    expect(item.attrs.name).toBe('B');
    expect(item.attrs.subscription).toBe('to');
    expect(item.attrs.ask).toBeUndefined();
    expect((await s.storedItem(alice!, bob!))?.subscription).toBe('to');
  });

  it("2.6.3 (XEP-0237): the version carried by a push is the roster's current version", async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true });
    const oldVer = (await a.rosterGet()).getChild('query', NS_ROSTER)!.attrs.ver;
    await a.rosterSet(xml('item', { jid: bob! }));
    const push = await a.next(isRosterPush(bob!), 4000, 'the push');
    const ver = push.getChild('query', NS_ROSTER)!.attrs.ver!;
    expect(ver).not.toBe(oldVer);
    const same = await a.rosterGet(ver);
    expect(same.children).toHaveLength(0);
  });

  it('2.3.3: only the account itself may get or set its roster (forbidden for another user)', async () => {
    const [alice, bob, carol] = await s.users('alice', 'bob', 'carol');
    await s.subscription(bob!, carol!, 'both');
    const a = await s.login(alice!, { roster: true });
    const b = await s.login(bob!, { roster: true });

    const set = await a.iq(
      'set',
      bob!,
      xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: carol!, name: 'hijacked' })),
    );
    expect(set.attrs.type).toBe('error');
    expect(errorCondition(set)).toBe('forbidden');
    const get = await a.iq('get', bob!, xml('query', { xmlns: NS_ROSTER }));
    expect(get.attrs.type).toBe('error');
    expect(errorCondition(get)).toBe('forbidden');

    await s.settle(a, b);
    expect(a.received(isRosterPush(carol!))).toHaveLength(0);
    expect(b.received(isRosterPush(carol!))).toHaveLength(0);
    expect(await s.storedItem(alice!, carol!)).toBeUndefined();
    expect((await s.storedItem(bob!, carol!))?.name).toBeUndefined();
  });

  it('2.3.3: a roster set with two items is answered bad-request', async () => {
    const [alice, bob, carol] = await s.users('alice', 'bob', 'carol');
    const a = await s.login(alice!, { roster: true });
    const reply = await a.rosterSet(xml('item', { jid: bob! }), xml('item', { jid: carol! }));
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('bad-request');
    await s.settle(a);
    expect(a.received((el) => el.is('iq') && el.attrs.type === 'set')).toHaveLength(0);
    expect(await s.storedItem(alice!, bob!)).toBeUndefined();
  });

  it('2.3.3: a roster set with the same group twice is answered bad-request', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true });
    const reply = await a.rosterSet(
      xml('item', { jid: bob! }, xml('group', {}, 'Friends'), xml('group', {}, 'Friends')),
    );
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('bad-request');
    expect(await s.storedItem(alice!, bob!)).toBeUndefined();
  });

  it('2.3.3: a roster set with an empty group name is answered not-acceptable', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true });
    const reply = await a.rosterSet(xml('item', { jid: bob! }, xml('group', {})));
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('not-acceptable');
    expect(await s.storedItem(alice!, bob!)).toBeUndefined();
  });

  it('2.5.3: removing an item that is not in the roster is answered item-not-found', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { roster: true });
    const reply = await a.rosterSet(xml('item', { jid: bob!, subscription: 'remove' }));
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('item-not-found');
  });

  it('2.5.2: removing a subscribed item pushes remove and cancels the subscription both ways', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a1 = await s.login(alice!, { roster: true, priority: 0 });
    const a2 = await s.login(alice!, { roster: true });
    const b = await s.login(bob!, { roster: true, priority: 0 });
    b.mark();

    const reply = await a1.rosterSet(xml('item', { jid: bob!, subscription: 'remove' }));
    expect(reply.attrs.type).toBe('result');
    for (const peer of [a1, a2]) {
      const push = await peer.next(isRosterPush(bob!), 4000, 'the remove push');
      expect(pushedItem(push).attrs.subscription).toBe('remove');
    }

    // The contact is told both directions are cancelled, from the user's bare JID.
    await b.next(isPresence({ from: alice!, type: 'unsubscribe' }), 4000, 'unsubscribe');
    await b.next(isPresence({ from: alice!, type: 'unsubscribed' }), 4000, 'unsubscribed');
    // It no longer may see the user's presence: unavailable from the user's available resource.
    await b.next(
      isPresence({ from: a1.jid, type: 'unavailable' }),
      4000,
      'unavailable from the user',
    );
    // And its roster follows: both -> to -> none, pushed to it.
    await b.next(
      isRosterPush(alice!, (i) => i.attrs.subscription === 'none'),
      4000,
      'the push to none',
    );

    expect(await a1.rosterItem(bob!)).toBeUndefined();
    expect((await b.rosterItem(alice!))?.attrs.subscription).toBe('none');
    expect(await s.storedItem(alice!, bob!)).toBeUndefined();
  });
});
