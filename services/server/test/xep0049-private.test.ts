/**
 * XEP-0049 Private XML Storage against the real server with @xmpp/client,
 * and the removal of a user's PEP nodes, vCard and private XML with its
 * account.
 */
import { describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { WAIT } from './harness.js';
import { errorCondition, useScenario } from './scenario-helpers.js';
import { publish } from './xep0060-helpers.js';

const NS_PRIVATE = 'jabber:iq:private';
const query = (...children: Element[]) => xml('query', { xmlns: NS_PRIVATE }, ...children);

describe('XEP-0049: Private XML Storage', () => {
  const s = useScenario({ registration: { enabled: true } });

  it('stores an element per name and namespace and returns it', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const prefs = xml('exodus', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, 'Hamlet'));
    const set = await a.iq('set', undefined, query(prefs));
    expect(set.attrs.type).toBe('result');
    const got = await a.iq('get', undefined, query(xml('exodus', { xmlns: 'exodus:prefs' })));
    const stored = got.getChild('query', NS_PRIVATE)!.getChild('exodus', 'exodus:prefs')!;
    expect(stored.getChildText('defaultnick')).toBe('Hamlet');
    // Another namespace is another slot, empty until set.
    const other = await a.iq('get', undefined, query(xml('exodus', { xmlns: 'other:prefs' })));
    const empty = other.getChild('query', NS_PRIVATE)!.getChild('exodus', 'other:prefs')!;
    expect(empty.children).toHaveLength(0);
    // Replacing keeps only the new content.
    await a.iq(
      'set',
      undefined,
      query(xml('exodus', { xmlns: 'exodus:prefs' }, xml('x', {}, '2'))),
    );
    const again = await a.iq('get', undefined, query(xml('exodus', { xmlns: 'exodus:prefs' })));
    const replaced = again.getChild('query', NS_PRIVATE)!.getChild('exodus', 'exodus:prefs')!;
    expect(replaced.getChildText('x')).toBe('2');
    expect(replaced.getChild('defaultnick')).toBeUndefined();
  });

  it('stores XEP-0048 bookmarks (storage:bookmarks) and returns them, also to a fresh account', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    // Nothing stored yet: an empty storage element, not an error.
    const none = await a.iq(
      'get',
      undefined,
      query(xml('storage', { xmlns: 'storage:bookmarks' })),
    );
    expect(none.attrs.type).toBe('result');
    const empty = none.getChild('query', NS_PRIVATE)!.getChild('storage', 'storage:bookmarks')!;
    expect(empty.getChildren('conference')).toHaveLength(0);
    const storage = xml(
      'storage',
      { xmlns: 'storage:bookmarks' },
      xml(
        'conference',
        { jid: 'council@conference.localhost', name: 'Council', autojoin: 'true' },
        xml('nick', {}, 'Hamlet'),
      ),
    );
    expect((await a.iq('set', undefined, query(storage))).attrs.type).toBe('result');
    const got = await a.iq('get', undefined, query(xml('storage', { xmlns: 'storage:bookmarks' })));
    expect(got.attrs.type, got.toString()).toBe('result');
    const conf = got
      .getChild('query', NS_PRIVATE)!
      .getChild('storage', 'storage:bookmarks')!
      .getChild('conference')!;
    expect(conf.attrs).toMatchObject({ jid: 'council@conference.localhost', name: 'Council' });
    expect(['true', '1']).toContain(conf.attrs.autojoin);
    expect(conf.getChildText('nick')).toBe('Hamlet');
  });

  it("refuses another user's data, empty queries and elements without a namespace of their own", async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!);
    await a.iq('set', undefined, query(xml('secret', { xmlns: 'my:secret' }, 'x')));
    const theirs = await b.iq('get', alice, query(xml('secret', { xmlns: 'my:secret' })));
    expect(errorCondition(theirs)).toBe('forbidden');
    const write = await b.iq('set', alice, query(xml('secret', { xmlns: 'my:secret' }, 'y')));
    expect(errorCondition(write)).toBe('forbidden');
    expect(errorCondition(await a.iq('get', undefined, query()))).toBe('not-acceptable');
    expect(errorCondition(await a.iq('set', undefined, query()))).toBe('not-acceptable');
  });

  it('removes PEP nodes, vCard and private XML with the account', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    await publish(a, undefined, 'urn:example:node', 'x', xml('x', { xmlns: 'urn:example:node' }));
    await a.iq('set', undefined, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'A')));
    await a.iq('set', undefined, query(xml('p', { xmlns: 'urn:example:p' })));
    const stores = s.t.server.stores;
    expect(await stores.pubsub.listNodes(alice!)).toHaveLength(1);
    await a.send(
      xml(
        'iq',
        { type: 'set', id: 'unreg' },
        xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')),
      ),
    );
    await vi.waitFor(async () => expect(await stores.accounts.get(alice!)).toBeUndefined(), WAIT);
    await vi.waitFor(async () => {
      expect(await stores.pubsub.listNodes(alice!)).toHaveLength(0);
      expect(await stores.vcards.get(alice!)).toBeUndefined();
      expect(await stores.privateXml.get(alice!, 'p', 'urn:example:p')).toBeUndefined();
    }, WAIT);
  });
});
