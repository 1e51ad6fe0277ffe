/**
 * XEP-0060 on the pubsub.localhost service against the real server with
 * @xmpp/client: discovery, node creation by local users, subscriptions,
 * publication with notifications, owner use cases and error conditions.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { errorCondition, useScenario } from './scenario-helpers.js';
import {
  NS_DELAY,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_PUBSUB,
  NS_PUBSUB_EVENT,
  NS_PUBSUB_OWNER,
  eventItems,
  form,
  isEvent,
  itemIds,
  itemsOf,
  publish,
  pubsubCondition,
} from './xep0060-helpers.js';

const SERVICE = 'pubsub.localhost';
const ATOM = 'http://www.w3.org/2005/Atom';
const entry = (title: string) => xml('entry', { xmlns: ATOM }, xml('title', {}, title));
const ps = (...children: Element[]) => xml('pubsub', { xmlns: NS_PUBSUB }, ...children);
const owner = (...children: Element[]) => xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, ...children);

describe('XEP-0060: the pubsub.localhost service', () => {
  const s = useScenario();
  let nodeSeq = 0;
  const newNode = () => `princely_musings_${++nodeSeq}`;

  it('is listed in the server disco#items and describes itself', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const items = await a.iq('get', 'localhost', xml('query', { xmlns: NS_DISCO_ITEMS }));
    const jids = items
      .getChild('query', NS_DISCO_ITEMS)!
      .getChildren('item')
      .map((i) => i.attrs.jid);
    expect(jids).toContain(SERVICE);
    const info = await a.iq('get', SERVICE, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(info.attrs.from).toBe(SERVICE);
    const q = info.getChild('query', NS_DISCO_INFO)!;
    expect(q.getChild('identity')!.attrs).toMatchObject({ category: 'pubsub', type: 'service' });
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining([
        NS_PUBSUB,
        `${NS_PUBSUB}#create-nodes`,
        `${NS_PUBSUB}#publish`,
        `${NS_PUBSUB}#subscribe`,
        `${NS_PUBSUB}#retrieve-items`,
      ]),
    );
  });

  it('creates a node, subscribes, publishes and notifies the subscriber', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    // Notifications to the bare JID reach available resources (RFC 6121 8.5.2.1.1).
    const b = await s.login(bob!, { priority: 0 });
    const node = newNode();
    const created = await a.iq(
      'set',
      SERVICE,
      ps(
        xml('create', { node }),
        xml(
          'configure',
          {},
          form('http://jabber.org/protocol/pubsub#node_config', {
            'pubsub#title': 'Princely Musings',
            'pubsub#max_items': '5',
          }),
        ),
      ),
    );
    expect(created.attrs.type).toBe('result');
    expect(errorCondition(await a.iq('set', SERVICE, ps(xml('create', { node }))))).toBe(
      'conflict',
    );

    await publish(a, SERVICE, node, 'first', entry('Soliloquy'));
    const sub = await b.iq('set', SERVICE, ps(xml('subscribe', { node, jid: bob! })));
    expect(sub.getChild('pubsub', NS_PUBSUB)!.getChild('subscription')!.attrs).toMatchObject({
      node,
      jid: bob,
      subscription: 'subscribed',
    });
    // The last published item follows the subscription (send_last_published_item on_sub).
    const last = await b.next(isEvent(node, SERVICE), 4000, 'the last item');
    expect(eventItems(last)[0]!.attrs.id).toBe('first');
    expect(last.getChild('delay', NS_DELAY)).toBeDefined();
    b.mark();

    const pub = await publish(a, SERVICE, node, undefined, entry('Ghostly Encounters'));
    const id = pub.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id;
    expect(id).toBeTruthy();
    const note = await b.next(isEvent(node, SERVICE), 4000, 'the notification');
    expect(note.attrs.to).toBe(bob);
    const [item] = eventItems(note);
    expect(item!.attrs.id).toBe(id);
    expect(item!.getChild('entry', ATOM)!.getChildText('title')).toBe('Ghostly Encounters');

    expect(itemIds(await itemsOf(b, SERVICE, node))).toEqual([id, 'first']);
    const subs = await b.iq('get', SERVICE, ps(xml('subscriptions')));
    expect(
      subs
        .getChild('pubsub', NS_PUBSUB)!
        .getChild('subscriptions')!
        .getChildren('subscription')
        .map((x) => x.attrs.node),
    ).toEqual([node]);

    // disco: the node is listed and described.
    const nodes = await b.iq('get', SERVICE, xml('query', { xmlns: NS_DISCO_ITEMS }));
    expect(
      nodes
        .getChild('query', NS_DISCO_ITEMS)!
        .getChildren('item')
        .map((i) => i.attrs.node),
    ).toContain(node);
    const info = await b.iq('get', SERVICE, xml('query', { xmlns: NS_DISCO_INFO, node }));
    expect(info.getChild('query', NS_DISCO_INFO)!.getChild('identity')!.attrs.type).toBe('leaf');

    // Unsubscribed: no more notifications.
    const unsub = await b.iq('set', SERVICE, ps(xml('unsubscribe', { node, jid: bob! })));
    expect(unsub.attrs.type).toBe('result');
    b.mark();
    await publish(a, SERVICE, node, 'third', entry('Alone'));
    await s.settle(b);
    expect(b.received(isEvent(node))).toHaveLength(0);
  });

  it('lets the owner configure, purge and delete, telling subscribers', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!, { priority: 0 });
    const node = newNode();
    await a.iq('set', SERVICE, ps(xml('create', { node })));
    await b.iq('set', SERVICE, ps(xml('subscribe', { node, jid: bob! })));
    await publish(a, SERVICE, node, 'x', entry('x'));
    await b.next(isEvent(node, SERVICE));

    const conf = await a.iq('get', SERVICE, owner(xml('configure', { node })));
    const x = conf.getChild('pubsub', NS_PUBSUB_OWNER)!.getChild('configure')!.getChild('x')!;
    expect(x.attrs.type).toBe('form');
    expect(errorCondition(await b.iq('get', SERVICE, owner(xml('configure', { node }))))).toBe(
      'forbidden',
    );

    b.mark();
    expect((await a.iq('set', SERVICE, owner(xml('purge', { node })))).attrs.type).toBe('result');
    await b.next(isEvent(node, SERVICE, 'purge'), 4000, 'the purge notification');
    expect(itemIds(await itemsOf(b, SERVICE, node))).toEqual([]);

    b.mark();
    expect((await a.iq('set', SERVICE, owner(xml('delete', { node })))).attrs.type).toBe('result');
    const del = await b.next(isEvent(node, SERVICE, 'delete'), 4000, 'the delete notification');
    expect(del.getChild('event', NS_PUBSUB_EVENT)!.getChild('delete')!.attrs.node).toBe(node);
    expect(errorCondition(await itemsOf(b, SERVICE, node))).toBe('item-not-found');
  });

  it('answers with the XEP-0060 error conditions', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!);
    const node = newNode();
    await a.iq('set', SERVICE, ps(xml('create', { node })));

    expect(errorCondition(await publish(b, SERVICE, node, 'y', entry('y')))).toBe('forbidden');
    const otherJid = await b.iq('set', SERVICE, ps(xml('subscribe', { node, jid: alice! })));
    expect([errorCondition(otherJid), pubsubCondition(otherJid)]).toEqual([
      'bad-request',
      'invalid-jid',
    ]);
    const notSub = await b.iq('set', SERVICE, ps(xml('unsubscribe', { node, jid: bob! })));
    expect([errorCondition(notSub), pubsubCondition(notSub)]).toEqual([
      'unexpected-request',
      'not-subscribed',
    ]);
    expect(errorCondition(await itemsOf(b, SERVICE, 'no-such-node'))).toBe('item-not-found');
    const noNode = await b.iq('get', SERVICE, ps(xml('items')));
    expect(pubsubCondition(noNode)).toBe('nodeid-required');
    // Instant node: the service names it.
    const instant = await b.iq('set', SERVICE, ps(xml('create')));
    expect(instant.getChild('pubsub', NS_PUBSUB)!.getChild('create')!.attrs.node).toBeTruthy();
    // Nothing lives at JIDs on the service domain.
    const nobody = await b.iq('get', `someone@${SERVICE}`, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(errorCondition(nobody)).toBe('service-unavailable');
  });
});
