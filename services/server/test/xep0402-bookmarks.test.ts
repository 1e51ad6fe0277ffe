/**
 * XEP-0402 PEP Native Bookmarks and its compatibility with XEP-0048
 * bookmarks in private XML (#compat) and on PEP (#compat-pep), against the
 * real server with @xmpp/client.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { errorCondition, useScenario } from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';
import {
  NS_PUBSUB,
  announceCaps,
  availableWith,
  isEvent,
  itemIds,
  itemsOf,
  publish,
  publishOptions,
  pubsubCondition,
} from './xep0060-helpers.js';

const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
const NS_BOOKMARKS = 'storage:bookmarks';
const NS_PRIVATE = 'jabber:iq:private';

const legacy = (...confs: { jid: string; name?: string; autojoin?: boolean; nick?: string }[]) =>
  xml(
    'storage',
    { xmlns: NS_BOOKMARKS },
    ...confs.map((c) =>
      xml(
        'conference',
        { jid: c.jid, name: c.name, autojoin: c.autojoin ? 'true' : 'false' },
        ...(c.nick ? [xml('nick', {}, c.nick)] : []),
      ),
    ),
  );

const bookmarks2Options = () =>
  publishOptions({
    'pubsub#persist_items': 'true',
    'pubsub#max_items': 'max',
    'pubsub#send_last_published_item': 'never',
    'pubsub#access_model': 'whitelist',
  });

async function privateBookmarks(p: Peer): Promise<Element[]> {
  const r = await p.iq(
    'get',
    undefined,
    xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_BOOKMARKS })),
  );
  expect(r.attrs.type).toBe('result');
  return r
    .getChild('query', NS_PRIVATE)!
    .getChild('storage', NS_BOOKMARKS)!
    .getChildren('conference');
}

async function setPrivate(p: Peer, storage: Element): Promise<void> {
  const r = await p.iq('set', undefined, xml('query', { xmlns: NS_PRIVATE }, storage));
  expect(r.attrs.type).toBe('result');
}

function conferences(reply: Element): Map<string, Element> {
  const out = new Map<string, Element>();
  for (const item of reply.getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item'))
    out.set(item.attrs.id as string, item.getChild('conference', NS_BOOKMARKS2)!);
  return out;
}

describe('XEP-0402: PEP Native Bookmarks with XEP-0048 compatibility', () => {
  const s = useScenario();

  it('advertises #compat and #compat-pep on the account', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const features = await a.discoFeatures(alice!);
    expect(features).toEqual(
      expect.arrayContaining([`${NS_BOOKMARKS2}#compat`, `${NS_BOOKMARKS2}#compat-pep`]),
    );
  });

  it('maps a private XML bookmarks set to the PEP node, privately (compat: old to new)', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!);
    await setPrivate(
      a,
      legacy(
        {
          jid: 'council@conference.underhill.org',
          name: 'Council of Oberon',
          autojoin: true,
          nick: 'Puck',
        },
        { jid: 'orchard@conference.shakespeare.lit', name: 'The Orchard' },
      ),
    );
    const items = conferences(await itemsOf(a, undefined, NS_BOOKMARKS2));
    expect([...items.keys()].sort()).toEqual([
      'council@conference.underhill.org',
      'orchard@conference.shakespeare.lit',
    ]);
    const council = items.get('council@conference.underhill.org')!;
    expect(council.attrs.name).toBe('Council of Oberon');
    expect(council.attrs.autojoin).toBe('true');
    expect(council.getChildText('nick')).toBe('Puck');
    // XEP-0223: the node is private to its owner, even for contacts.
    const b = await s.login(bob!);
    const denied = await itemsOf(b, alice, NS_BOOKMARKS2);
    expect([errorCondition(denied), pubsubCondition(denied)]).toEqual([
      'not-allowed',
      'closed-node',
    ]);

    // A new list retracts what it no longer has and leaves the rest.
    await setPrivate(a, legacy({ jid: 'orchard@conference.shakespeare.lit', name: 'The Orchard' }));
    expect(itemIds(await itemsOf(a, undefined, NS_BOOKMARKS2))).toEqual([
      'orchard@conference.shakespeare.lit',
    ]);
  });

  it('returns PEP bookmarks through private XML (compat: new to old), with notifications on PEP', async () => {
    const [alice] = await s.users('alice');
    const watcher = await s.login(alice!, { resource: 'watcher' });
    const caps = announceCaps(watcher, [`${NS_BOOKMARKS2}+notify`]);
    await availableWith(watcher, caps.c());
    await s.settle(watcher);
    watcher.mark();
    const a = await s.login(alice!, { resource: 'modern' });
    const conf = xml(
      'conference',
      { xmlns: NS_BOOKMARKS2, name: "The Play's the Thing", autojoin: 'true' },
      xml('nick', {}, 'JC'),
    );
    const r = await publish(
      a,
      undefined,
      NS_BOOKMARKS2,
      'theplay@conference.shakespeare.lit',
      conf,
      bookmarks2Options(),
    );
    expect(r.attrs.type).toBe('result');
    await watcher.next(isEvent(NS_BOOKMARKS2, alice), 4000, 'the bookmark notification');
    const list = await privateBookmarks(a);
    expect(
      list.map((c) => [c.attrs.jid, c.attrs.name, c.attrs.autojoin, c.getChildText('nick')]),
    ).toEqual([['theplay@conference.shakespeare.lit', "The Play's the Thing", 'true', 'JC']]);
    // A legacy client replacing the list: the PEP watcher hears about the removal.
    watcher.mark();
    await setPrivate(a, legacy());
    const retract = await watcher.next(isEvent(NS_BOOKMARKS2, alice), 4000, 'the retraction');
    expect(retract.getChild('event')!.getChild('items')!.getChild('retract')!.attrs.id).toBe(
      'theplay@conference.shakespeare.lit',
    );
    expect(await privateBookmarks(a)).toEqual([]);
  });

  it('keeps the XEP-0048 PEP node and the XEP-0402 node in step (compat-pep)', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    // An XEP-0048 client on PEP (XEP-0223 options).
    const opts = publishOptions({
      'pubsub#persist_items': 'true',
      'pubsub#access_model': 'whitelist',
    });
    const old = await publish(
      a,
      undefined,
      NS_BOOKMARKS,
      'current',
      legacy({ jid: 'coven@chat.shakespeare.lit', name: 'The Coven', autojoin: true }),
      opts,
    );
    expect(old.attrs.type).toBe('result');
    expect(itemIds(await itemsOf(a, undefined, NS_BOOKMARKS2))).toEqual([
      'coven@chat.shakespeare.lit',
    ]);
    // An XEP-0402 client adds one: the XEP-0048 node gets the whole list.
    await publish(
      a,
      undefined,
      NS_BOOKMARKS2,
      'orchard@chat.shakespeare.lit',
      xml('conference', { xmlns: NS_BOOKMARKS2, name: 'Orchard' }),
      bookmarks2Options(),
    );
    const legacyItems = await itemsOf(a, undefined, NS_BOOKMARKS);
    const storage = legacyItems
      .getChild('pubsub', NS_PUBSUB)!
      .getChild('items')!
      .getChild('item')!
      .getChild('storage', NS_BOOKMARKS)!;
    expect(
      storage
        .getChildren('conference')
        .map((c) => c.attrs.jid)
        .sort(),
    ).toEqual(['coven@chat.shakespeare.lit', 'orchard@chat.shakespeare.lit']);
  });
});
