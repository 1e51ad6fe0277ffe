/**
 * XEP-0163 Personal Eventing Protocol against the real server with
 * @xmpp/client: every account is a pubsub service; publish-options,
 * access models, max_items, and notifications filtered by entity
 * capabilities (the clients here announce caps and answer the server's
 * disco#info query), including the last item on coming online and the
 * OMEMO flow (devicelist and bundles readable by anyone).
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { errorCondition, isPresence, useScenario } from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';
import {
  NS_DELAY,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  announceCaps,
  availableWith,
  eventItems,
  form,
  isEvent,
  itemIds,
  itemsOf,
  publish,
  publishOptions,
  pubsubCondition,
} from './xep0060-helpers.js';

const TUNE = 'http://jabber.org/protocol/tune';
const DEVICELIST = 'eu.siacs.conversations.axolotl.devicelist';
const BUNDLES = 'eu.siacs.conversations.axolotl.bundles';
const AXOLOTL = 'eu.siacs.conversations.axolotl';

const tune = (title: string) => xml('tune', { xmlns: TUNE }, xml('title', {}, title));
const features = (reply: Element) =>
  reply
    .getChild('query', NS_DISCO_INFO)!
    .getChildren('feature')
    .map((f) => f.attrs.var as string);

describe('XEP-0163: Personal Eventing Protocol', () => {
  const s = useScenario();

  /** Logs in with caps asking for these notifications and waits until the server knows them. */
  async function online(bare: string, notify: string[], resource?: string): Promise<Peer> {
    const p = await s.login(bare, resource ? { resource } : {});
    const caps = announceCaps(
      p,
      notify.map((n) => `${n}+notify`),
    );
    await availableWith(p, caps.c());
    // The server asks the client's disco#info unless it knows the ver from an earlier client;
    // the answer reaches it before the settling ping does.
    await s.settle(p);
    p.mark();
    return p;
  }

  it('advertises the pubsub/pep identity and the PEP features on the account', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const reply = await a.iq('get', alice, xml('query', { xmlns: NS_DISCO_INFO }));
    const ids = reply
      .getChild('query', NS_DISCO_INFO)!
      .getChildren('identity')
      .map((i) => `${i.attrs.category}/${i.attrs.type}`);
    expect(ids).toContain('pubsub/pep');
    expect(features(reply)).toEqual(
      expect.arrayContaining(
        [
          'publish',
          'auto-create',
          'publish-options',
          'persistent-items',
          'multi-items',
          'last-published',
          'filtered-notifications',
          'access-presence',
          'access-open',
          'access-roster',
          'access-whitelist',
          'config-node-max',
          'item-ids',
          'retrieve-items',
          'delete-items',
          'purge-nodes',
          'create-nodes',
          'auto-subscribe',
          'retract-items',
          'subscribe',
        ].map((f) => `${NS_PUBSUB}#${f}`),
      ),
    );
  });

  it('OMEMO: a devicelist and bundle published with access_model=open are readable by a non-contact', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!);
    const open = publishOptions({ 'pubsub#access_model': 'open' });
    const list = xml('list', { xmlns: AXOLOTL }, xml('device', { id: '1234' }));
    const r1 = await publish(a, undefined, DEVICELIST, 'current', list, open);
    expect(r1.attrs.type).toBe('result');
    const bundle = xml(
      'bundle',
      { xmlns: AXOLOTL },
      xml('signedPreKeyPublic', { signedPreKeyId: '1' }, 'BASE64'),
      xml('identityKey', {}, 'KEY'),
    );
    const r2 = await publish(a, undefined, `${BUNDLES}:1234`, 'current', bundle, open);
    expect(r2.attrs.type).toBe('result');

    const devices = await itemsOf(b, alice, DEVICELIST);
    expect(devices.attrs.type).toBe('result');
    const item = devices.getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChild('item')!;
    expect(item.attrs.id).toBe('current');
    expect(item.getChild('list', AXOLOTL)!.getChild('device')!.attrs.id).toBe('1234');
    const bundles = await itemsOf(b, alice, `${BUNDLES}:1234`);
    expect(itemIds(bundles)).toEqual(['current']);

    // A node with the default (presence) access model stays closed to non-contacts.
    await publish(a, undefined, TUNE, undefined, tune('secret'));
    const closed = await itemsOf(b, alice, TUNE);
    expect(errorCondition(closed)).toBe('not-authorized');
    expect(pubsubCondition(closed)).toBe('presence-subscription-required');
  });

  it('answers precondition-not-met when publish-options differ from the node, and accepts them after configuring', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    await publish(a, undefined, TUNE, 'x', tune('one'));
    const open = publishOptions({ 'pubsub#access_model': 'open' });
    const refused = await publish(a, undefined, TUNE, 'x', tune('two'), open);
    expect(refused.attrs.type).toBe('error');
    expect(errorCondition(refused)).toBe('conflict');
    expect(pubsubCondition(refused)).toBe('precondition-not-met');
    const conf = await a.iq(
      'set',
      undefined,
      xml(
        'pubsub',
        { xmlns: NS_PUBSUB_OWNER },
        xml(
          'configure',
          { node: TUNE },
          form('http://jabber.org/protocol/pubsub#node_config', { 'pubsub#access_model': 'open' }),
        ),
      ),
    );
    expect(conf.attrs.type).toBe('result');
    expect((await publish(a, undefined, TUNE, 'x', tune('two'), open)).attrs.type).toBe('result');
  });

  it('keeps max_items items, dropping the oldest', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const opts = publishOptions({ 'pubsub#max_items': '2' });
    for (const id of ['first', 'second', 'third'])
      expect((await publish(a, undefined, 'urn:example:log', id, tune(id), opts)).attrs.type).toBe(
        'result',
      );
    expect(itemIds(await itemsOf(a, undefined, 'urn:example:log'))).toEqual(['third', 'second']);
    expect(itemIds(await itemsOf(a, undefined, 'urn:example:log', { max_items: '1' }))).toEqual([
      'third',
    ]);
  });

  it('notifies a contact whose caps ask for <node>+notify, at its full JID, not one without', async () => {
    const [alice, bob, carol] = await s.users('alice', 'bob', 'carol');
    await s.subscription(alice!, bob!, 'both');
    await s.subscription(alice!, carol!, 'both');
    const a = await s.login(alice!);
    const b = await online(bob!, [TUNE]);
    const c = await online(carol!, ['urn:example:other']);
    await publish(a, undefined, TUNE, 'song', tune('Introduction'));
    const note = await b.next(isEvent(TUNE, alice), 4000, 'the tune event');
    expect(note.attrs.to).toBe(b.jid);
    expect(note.attrs.type).toBe('headline');
    const [item] = eventItems(note);
    expect(item!.attrs.id).toBe('song');
    expect(item!.getChild('tune', TUNE)!.getChildText('title')).toBe('Introduction');
    await s.settle(c, b);
    expect(c.received(isEvent(TUNE))).toHaveLength(0);
  });

  it('sends the last published item to a contact coming online with +notify caps, delayed', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    await publish(a, undefined, TUNE, 'earlier', tune('Before you came'));
    const b = await s.login(bob!);
    const caps = announceCaps(b, [`${TUNE}+notify`]);
    await availableWith(b, caps.c());
    const last = await b.next(isEvent(TUNE, alice), 4000, 'the last published item');
    expect(eventItems(last)[0]!.attrs.id).toBe('earlier');
    expect(last.getChild('delay', NS_DELAY)).toBeDefined();
  });

  it("notifies the owner's own resources that ask for the node", async () => {
    const [alice] = await s.users('alice');
    const interested = await online(alice!, [TUNE], 'phone');
    const other = await s.login(alice!, { resource: 'desk', priority: 0 });
    await publish(other, undefined, TUNE, 'mine', tune('Me'));
    const note = await interested.next(isEvent(TUNE, alice), 4000, 'its own event');
    expect(note.attrs.to).toBe(interested.jid);
    await s.settle(other);
    expect(other.received(isEvent(TUNE))).toHaveLength(0);
    // Another of the owner's resources coming online gets the last item.
    const late = await s.login(alice!, { resource: 'late' });
    const caps = announceCaps(late, [`${TUNE}+notify`]);
    await availableWith(late, caps.c());
    const last = await late.next(isEvent(TUNE, alice), 4000, 'the last item');
    expect(eventItems(last)[0]!.attrs.id).toBe('mine');
  });

  it('reaches a contact subscribed to the owner whose presence the owner does not see', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    // bob is subscribed to alice's presence; alice is not subscribed to bob's.
    await s.subscription(alice!, bob!, 'from');
    const a = await s.login(alice!, { priority: 0 });
    await publish(a, undefined, TUNE, 'before', tune('Earlier'));
    const b = await s.login(bob!);
    const caps = announceCaps(b, [`${TUNE}+notify`]);
    await availableWith(b, caps.c());
    const last = await b.next(isEvent(TUNE, alice), 4000, 'the last item');
    expect(eventItems(last)[0]!.attrs.id).toBe('before');
    await s.settle(b);
    b.mark();
    await publish(a, undefined, TUNE, 'after', tune('Later'));
    const live = await b.next(isEvent(TUNE, alice), 4000, 'the live event');
    expect(eventItems(live)[0]!.attrs.id).toBe('after');
    // alice's client never sees presence from bob (the server's marker is internal).
    await b.stop();
    await s.settle(a);
    expect(a.received(isPresence({ from: b.jid }))).toHaveLength(0);
  });

  it('stops notifying a contact resource that went offline, and notifies again when it returns', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    const b1 = await online(bob!, [TUNE], 'one');
    await b1.stop();
    await s.settle(a);
    await publish(a, undefined, TUNE, 'while-away', tune('Away'));
    const b2 = await s.login(bob!, { resource: 'one' });
    const caps = announceCaps(b2, [`${TUNE}+notify`]);
    await availableWith(b2, caps.c());
    const last = await b2.next(isEvent(TUNE, alice), 4000, 'the last item after returning');
    expect(eventItems(last)[0]!.attrs.id).toBe('while-away');
  });

  it('retracts with notify and lists the nodes in disco#items', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    const b = await online(bob!, [TUNE]);
    await publish(a, undefined, TUNE, 'gone-soon', tune('x'));
    await b.next(isEvent(TUNE, alice));
    b.mark();
    const r = await a.iq(
      'set',
      undefined,
      xml(
        'pubsub',
        { xmlns: NS_PUBSUB },
        xml('retract', { node: TUNE, notify: 'true' }, xml('item', { id: 'gone-soon' })),
      ),
    );
    expect(r.attrs.type).toBe('result');
    const retract = await b.next(isEvent(TUNE, alice));
    expect(retract.getChild('event')!.getChild('items')!.getChild('retract')!.attrs.id).toBe(
      'gone-soon',
    );
    const items = await b.iq('get', alice, xml('query', { xmlns: NS_DISCO_ITEMS }));
    const nodes = items
      .getChild('query', NS_DISCO_ITEMS)!
      .getChildren('item')
      .map((i) => i.attrs.node);
    expect(nodes).toContain(TUNE);
    const info = await b.iq('get', alice, xml('query', { xmlns: NS_DISCO_INFO, node: TUNE }));
    expect(info.getChild('query', NS_DISCO_INFO)!.getChild('identity')!.attrs.type).toBe('leaf');
  });

  it('sends nothing to a contact the owner blocks (XEP-0163 4.3.3)', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    const b = await online(bob!, [TUNE]);
    await publish(a, undefined, TUNE, 'one', tune('one'));
    await b.next(isEvent(TUNE, alice));
    const blocked = await a.iq(
      'set',
      undefined,
      xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: bob! })),
    );
    expect(blocked.attrs.type).toBe('result');
    b.mark();
    await publish(a, undefined, TUNE, 'two', tune('two'));
    await s.settle(b);
    expect(b.received(isEvent(TUNE))).toHaveLength(0);
  });

  it('lets only the owner publish, configure or delete', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!);
    await publish(a, undefined, TUNE, 'x', tune('x'));
    expect(errorCondition(await publish(b, alice, TUNE, 'y', tune('y')))).toBe('forbidden');
    const del = await b.iq(
      'set',
      alice,
      xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node: TUNE })),
    );
    expect(errorCondition(del)).toBe('forbidden');
    const own = await a.iq(
      'set',
      undefined,
      xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node: TUNE })),
    );
    expect(own.attrs.type).toBe('result');
    expect(errorCondition(await itemsOf(a, undefined, TUNE))).toBe('item-not-found');
  });
});
