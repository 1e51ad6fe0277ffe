import { describe, expect, it } from 'vitest';
import type {
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '../../src/contracts.js';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const SERVICE = 'pubsub.example.org';
const PEP = 'alice@example.org';
const NODE = 'princely_musings';

function node(service: string, name: string, extra: Partial<PubsubNode> = {}): PubsubNode {
  return {
    service,
    node: name,
    config: { access_model: 'open', max_items: '10', roster_groups_allowed: ['Friends'] },
    createdAt: 1_700_000_000_000,
    ...extra,
  };
}

function item(id: string, ts = 1000, extra: Partial<PubsubItem> = {}): PubsubItem {
  return {
    id,
    publisher: 'hamlet@denmark.lit/elsinore',
    ts,
    payload: `<entry xmlns='http://www.w3.org/2005/Atom'><title>${id}</title></entry>`,
    ...extra,
  };
}

function sub(jid: string, subid: string, extra: Partial<PubsubSubscription> = {}) {
  return { jid, subid, state: 'subscribed' as const, ...extra };
}

/** Publishes items a, b, c, ... (oldest first) to a fresh node. */
async function seed(pubsub: PubsubStore, n: number, maxItems = 100): Promise<string[]> {
  await pubsub.createNode(node(SERVICE, NODE));
  const ids = Array.from({ length: n }, (_, i) => `item-${String.fromCharCode(97 + i)}`);
  for (const [i, id] of ids.entries()) {
    expect(await pubsub.publish(SERVICE, NODE, item(id, 1000 + i), maxItems)).toEqual([]);
  }
  return ids;
}

const itemIds = async (
  pubsub: PubsubStore,
  opts?: { ids?: string[]; max?: number; after?: string },
) => (await pubsub.items(SERVICE, NODE, opts)).items.map((i) => i.id);

export function pubsubTests(stores: CurrentStores): void {
  describe('PubsubStore', () => {
    it('returns nothing for unknown services and nodes', async () => {
      const { pubsub } = stores();
      expect(await pubsub.getNode(SERVICE, NODE)).toBeUndefined();
      expect(await pubsub.listNodes(SERVICE)).toStrictEqual([]);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.retract(SERVICE, NODE, 'x')).toBe(false);
      expect(await pubsub.purge(SERVICE, NODE)).toBe(0);
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.subscriptionsOf(SERVICE, 'bob@example.org')).toStrictEqual([]);
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'bob@example.org')).toBe(0);
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.deleteNode(SERVICE, NODE)).toBe(false);
      expect(await pubsub.updateNode(node(SERVICE, NODE))).toBe(false);
      expect(await pubsub.getNode(SERVICE, NODE)).toBeUndefined();
      expect(await pubsub.deleteService(SERVICE)).toBe(0);
    });

    it('creates a node once, updates its configuration and lists nodes by name', async () => {
      const { pubsub } = stores();
      const n = node(SERVICE, NODE);
      expect(await pubsub.createNode(n)).toBe(true);
      expect(await pubsub.getNode(SERVICE, NODE)).toStrictEqual(n);
      expect(await pubsub.createNode(node(SERVICE, NODE, { config: {}, createdAt: 1 }))).toBe(
        false,
      );
      expect(await pubsub.getNode(SERVICE, NODE)).toStrictEqual(n);
      const updated = node(SERVICE, NODE, { config: { access_model: 'whitelist' } });
      expect(await pubsub.updateNode(updated)).toBe(true);
      expect(await pubsub.getNode(SERVICE, NODE)).toStrictEqual(updated);
      for (const name of ['zeta', 'Alpha', 'urn:xmpp:avatar:data', '😀', '\uffef', 'beta']) {
        await pubsub.createNode(node(SERVICE, name));
      }
      await pubsub.createNode(node(`${SERVICE}.uk`, 'other'));
      await pubsub.createNode(node(PEP, 'urn:xmpp:avatar:metadata'));
      expect((await pubsub.listNodes(SERVICE)).map((x) => x.node)).toEqual([
        'Alpha',
        'beta',
        NODE,
        'urn:xmpp:avatar:data',
        'zeta',
        '\uffef',
        '😀',
      ]);
      expect(await pubsub.listNodes(PEP)).toStrictEqual([node(PEP, 'urn:xmpp:avatar:metadata')]);
      expect(await pubsub.getNode(PEP, NODE)).toBeUndefined();
    });

    it('publishes items and returns them newest first with the total count', async () => {
      const { pubsub } = stores();
      const ids = await seed(pubsub, 4);
      const got = await pubsub.items(SERVICE, NODE);
      expect(got.count).toBe(4);
      expect(got.items).toStrictEqual([...ids].reverse().map((id, i) => item(id, 1003 - i)));
    });

    it('orders items by publication, not by their timestamp or id', async () => {
      const { pubsub } = stores();
      await pubsub.createNode(node(SERVICE, NODE));
      await pubsub.publish(SERVICE, NODE, item('z', 5), 10);
      await pubsub.publish(SERVICE, NODE, item('a', 5), 10);
      await pubsub.publish(SERVICE, NODE, item('m', 1), 10);
      expect(await itemIds(pubsub)).toEqual(['m', 'a', 'z']);
    });

    it('replaces an item with the same id and makes it the newest', async () => {
      const { pubsub } = stores();
      await seed(pubsub, 3); // a, b, c
      const replacement = item('item-a', 2000, { payload: '', publisher: 'other@example.org' });
      expect(await pubsub.publish(SERVICE, NODE, replacement, 3)).toEqual([]);
      const got = await pubsub.items(SERVICE, NODE);
      expect(got.count).toBe(3);
      expect(got.items.map((i) => i.id)).toEqual(['item-a', 'item-c', 'item-b']);
      expect(got.items[0]).toStrictEqual(replacement);
      // Replacing saves the replaced item from trimming: b is now the oldest.
      expect(await pubsub.publish(SERVICE, NODE, item('item-d'), 3)).toEqual(['item-b']);
      expect(await itemIds(pubsub)).toEqual(['item-d', 'item-a', 'item-c']);
      // Replacing the newest keeps the order.
      await pubsub.publish(SERVICE, NODE, item('item-d', 3000), 3);
      expect(await itemIds(pubsub)).toEqual(['item-d', 'item-a', 'item-c']);
    });

    it('trims to maxItems, returning the trimmed ids oldest first', async () => {
      const { pubsub } = stores();
      await seed(pubsub, 5); // a..e
      expect(await pubsub.publish(SERVICE, NODE, item('item-f'), 3)).toEqual([
        'item-a',
        'item-b',
        'item-c',
      ]);
      expect(await itemIds(pubsub)).toEqual(['item-f', 'item-e', 'item-d']);
      expect(await pubsub.publish(SERVICE, NODE, item('item-g'), 3)).toEqual(['item-d']);
      expect(await pubsub.publish(SERVICE, NODE, item('item-h'), 1)).toEqual([
        'item-e',
        'item-f',
        'item-g',
      ]);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({
        items: [item('item-h')],
        count: 1,
      });
      // maxItems 0 keeps nothing, not even the new item.
      expect(await pubsub.publish(SERVICE, NODE, item('item-i'), 0)).toEqual(['item-h', 'item-i']);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      // Infinity never trims.
      for (let i = 0; i < 30; i++) {
        expect(await pubsub.publish(SERVICE, NODE, item(`n${i}`), Infinity)).toEqual([]);
      }
      expect((await pubsub.items(SERVICE, NODE)).count).toBe(30);
    });

    it('keeps exactly maxItems when publishes race', async () => {
      const { pubsub } = stores();
      await pubsub.createNode(node(SERVICE, NODE));
      const ids = Array.from({ length: 30 }, (_, i) => `race-${i}`);
      const trimmed = await Promise.all(
        ids.map((id) => pubsub.publish(SERVICE, NODE, item(id), 5)),
      );
      const kept = await pubsub.items(SERVICE, NODE);
      expect(kept.count).toBe(5);
      expect(kept.items).toHaveLength(5);
      const all = [...trimmed.flat(), ...kept.items.map((i) => i.id)];
      expect(all.sort()).toEqual([...ids].sort());
    });

    it('picks items by id in the order asked, skipping unknown ones', async () => {
      const { pubsub } = stores();
      await seed(pubsub, 4); // a..d
      const got = await pubsub.items(SERVICE, NODE, {
        ids: ['item-b', 'nope', 'item-d', 'item-a', 'item-b'],
      });
      expect(got.items).toStrictEqual([
        item('item-b', 1001),
        item('item-d', 1003),
        item('item-a', 1000),
      ]);
      expect(got.count).toBe(4);
      expect(await itemIds(pubsub, { ids: [] })).toEqual([]);
      expect(await itemIds(pubsub, { ids: ['nope'] })).toEqual([]);
      expect(await itemIds(pubsub, { ids: ['item-c', 'item-a', 'item-d'], max: 2 })).toEqual([
        'item-c',
        'item-a',
      ]);
    });

    it('returns the newest max items, and pages to older ones with after', async () => {
      const { pubsub } = stores();
      const ids = await seed(pubsub, 7); // a..g
      const newestFirst = [...ids].reverse();
      expect(await itemIds(pubsub, { max: 3 })).toEqual(newestFirst.slice(0, 3));
      expect(await itemIds(pubsub, { max: 0 })).toEqual([]);
      expect(await itemIds(pubsub, { max: 100 })).toEqual(newestFirst);
      expect(await itemIds(pubsub, { after: 'item-e' })).toEqual([
        'item-d',
        'item-c',
        'item-b',
        'item-a',
      ]);
      expect(await itemIds(pubsub, { after: 'item-a' })).toEqual([]);
      expect(await itemIds(pubsub, { after: 'unknown' })).toEqual([]);
      expect((await pubsub.items(SERVICE, NODE, { after: 'item-e', max: 1 })).count).toBe(7);
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await itemIds(pubsub, { max: 3, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1];
      }
      expect(seen).toEqual(newestFirst);
      // After follows publication order, also for replaced items.
      await pubsub.publish(SERVICE, NODE, item('item-b'), 100);
      expect(await itemIds(pubsub, { after: 'item-b', max: 2 })).toEqual(['item-g', 'item-f']);
      expect(await itemIds(pubsub, { after: 'item-c' })).toEqual(['item-a']);
      expect(
        await itemIds(pubsub, { ids: ['item-a', 'item-g', 'item-d'], after: 'item-e' }),
      ).toEqual(['item-a', 'item-d']);
    });

    it('retracts and purges items', async () => {
      const { pubsub } = stores();
      await seed(pubsub, 4);
      expect(await pubsub.retract(SERVICE, NODE, 'item-b')).toBe(true);
      expect(await pubsub.retract(SERVICE, NODE, 'item-b')).toBe(false);
      expect(await pubsub.items(SERVICE, NODE)).toMatchObject({ count: 3 });
      expect(await itemIds(pubsub)).toEqual(['item-d', 'item-c', 'item-a']);
      expect(await pubsub.publish(SERVICE, NODE, item('item-e'), 4)).toEqual([]);
      expect(await pubsub.publish(SERVICE, NODE, item('item-b'), 4)).toEqual(['item-a']);
      expect(await itemIds(pubsub)).toEqual(['item-b', 'item-e', 'item-d', 'item-c']);
      expect(await pubsub.purge(SERVICE, NODE)).toBe(4);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.purge(SERVICE, NODE)).toBe(0);
      expect(await pubsub.getNode(SERVICE, NODE)).toBeDefined();
      expect(await pubsub.publish(SERVICE, NODE, item('item-z'), 3)).toEqual([]);
      expect(await itemIds(pubsub)).toEqual(['item-z']);
    });

    it('keeps items of different nodes and services apart', async () => {
      const { pubsub } = stores();
      await pubsub.createNode(node(SERVICE, NODE));
      await pubsub.createNode(node(SERVICE, `${NODE}2`));
      await pubsub.createNode(node(`${SERVICE}.uk`, NODE));
      await pubsub.publish(SERVICE, NODE, item('1'), 10);
      await pubsub.publish(SERVICE, `${NODE}2`, item('1', 5), 10);
      await pubsub.publish(SERVICE, `${NODE}2`, item('2'), 10);
      await pubsub.publish(`${SERVICE}.uk`, NODE, item('3'), 10);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [item('1')], count: 1 });
      expect((await pubsub.items(SERVICE, `${NODE}2`)).count).toBe(2);
      expect(await pubsub.purge(SERVICE, `${NODE}2`)).toBe(2);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [item('1')], count: 1 });
      expect((await pubsub.items(`${SERVICE}.uk`, NODE)).count).toBe(1);
    });

    it('rejects items, subscriptions and affiliations for a node that does not exist', async () => {
      const { pubsub } = stores();
      await expectStoreError(pubsub.publish(SERVICE, NODE, item('x'), 10), 'invalid-argument');
      await expectStoreError(
        pubsub.setSubscription(SERVICE, NODE, sub('bob@example.org', 's1')),
        'invalid-argument',
      );
      await expectStoreError(
        pubsub.setAffiliation(SERVICE, NODE, 'bob@example.org', 'publisher'),
        'invalid-argument',
      );
      await pubsub.createNode(node(SERVICE, NODE));
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([]);
    });

    it('stores subscriptions by jid and subid, replacing and removing them', async () => {
      const { pubsub } = stores();
      await pubsub.createNode(node(SERVICE, NODE));
      const bob1 = sub('bob@example.org', 'b1', {
        options: { deliver: 'true', show_values: ['chat', 'online'] },
      });
      await pubsub.setSubscription(SERVICE, NODE, sub('carol@example.org/phone', 'c1'));
      await pubsub.setSubscription(
        SERVICE,
        NODE,
        sub('bob@example.org', 'b2', { state: 'pending' }),
      );
      await pubsub.setSubscription(SERVICE, NODE, bob1);
      await pubsub.setSubscription(
        SERVICE,
        NODE,
        sub('carol@example.org', 'c2', { state: 'unconfigured' }),
      );
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([
        bob1,
        sub('bob@example.org', 'b2', { state: 'pending' }),
        sub('carol@example.org', 'c2', { state: 'unconfigured' }),
        sub('carol@example.org/phone', 'c1'),
      ]);
      // Same jid and subid: replaced whole.
      await pubsub.setSubscription(SERVICE, NODE, sub('bob@example.org', 'b1'));
      const subs = await pubsub.subscriptions(SERVICE, NODE);
      expect(subs[0]).toStrictEqual(sub('bob@example.org', 'b1'));
      expect(Object.keys(subs[0]!).sort()).toEqual(['jid', 'state', 'subid']);
      expect(subs).toHaveLength(4);
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'bob@example.org', 'nope')).toBe(0);
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'bob@example.org', 'b2')).toBe(1);
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'bob@example.org', 'b2')).toBe(0);
      await pubsub.setSubscription(SERVICE, NODE, sub('bob@example.org', 'b3'));
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'bob@example.org')).toBe(2);
      expect(await pubsub.removeSubscription(SERVICE, NODE, 'carol@example.org')).toBe(1);
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([
        sub('carol@example.org/phone', 'c1'),
      ]);
    });

    it('finds every subscription of one exact jid on a service', async () => {
      const { pubsub } = stores();
      for (const name of ['n2', 'n1', 'n3']) await pubsub.createNode(node(SERVICE, name));
      await pubsub.createNode(node(`${SERVICE}.uk`, 'n1'));
      const bob = 'bob@example.org';
      await pubsub.setSubscription(SERVICE, 'n2', sub(bob, 'x'));
      await pubsub.setSubscription(SERVICE, 'n1', sub(bob, 'y', { state: 'pending' }));
      await pubsub.setSubscription(SERVICE, 'n1', sub(bob, 'a', { options: { depth: '1' } }));
      await pubsub.setSubscription(SERVICE, 'n3', sub(`${bob}/phone`, 'z'));
      await pubsub.setSubscription(SERVICE, 'n3', sub(`${bob}.uk`, 'w'));
      await pubsub.setSubscription(`${SERVICE}.uk`, 'n1', sub(bob, 'v'));
      expect(await pubsub.subscriptionsOf(SERVICE, bob)).toStrictEqual([
        { ...sub(bob, 'a', { options: { depth: '1' } }), node: 'n1' },
        { ...sub(bob, 'y', { state: 'pending' }), node: 'n1' },
        { ...sub(bob, 'x'), node: 'n2' },
      ]);
      expect(await pubsub.subscriptionsOf(SERVICE, `${bob}/phone`)).toStrictEqual([
        { ...sub(`${bob}/phone`, 'z'), node: 'n3' },
      ]);
      expect(await pubsub.subscriptionsOf(`${SERVICE}.uk`, bob)).toStrictEqual([
        { ...sub(bob, 'v'), node: 'n1' },
      ]);
      expect(await pubsub.removeSubscription(SERVICE, 'n1', bob, 'a')).toBe(1);
      expect((await pubsub.subscriptionsOf(SERVICE, bob)).map((s) => s.subid)).toEqual(['y', 'x']);
      await pubsub.deleteNode(SERVICE, 'n1');
      expect((await pubsub.subscriptionsOf(SERVICE, bob)).map((s) => s.subid)).toEqual(['x']);
    });

    it('sets, replaces and removes affiliations, listing them by jid', async () => {
      const { pubsub } = stores();
      await pubsub.createNode(node(SERVICE, NODE));
      await pubsub.setAffiliation(SERVICE, NODE, 'hamlet@denmark.lit', 'owner');
      await pubsub.setAffiliation(SERVICE, NODE, 'bard@shakespeare.lit', 'publisher');
      await pubsub.setAffiliation(SERVICE, NODE, 'polonius@denmark.lit', 'outcast');
      await pubsub.setAffiliation(SERVICE, NODE, 'marcellus@denmark.lit', 'publish-only');
      await pubsub.setAffiliation(SERVICE, NODE, 'horatio@denmark.lit', 'member');
      await pubsub.setAffiliation(SERVICE, NODE, 'bard@shakespeare.lit', 'member');
      await pubsub.setAffiliation(SERVICE, NODE, 'polonius@denmark.lit', 'none');
      await pubsub.setAffiliation(SERVICE, NODE, 'nobody@denmark.lit', 'none');
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([
        { jid: 'bard@shakespeare.lit', affiliation: 'member' },
        { jid: 'hamlet@denmark.lit', affiliation: 'owner' },
        { jid: 'horatio@denmark.lit', affiliation: 'member' },
        { jid: 'marcellus@denmark.lit', affiliation: 'publish-only' },
      ]);
    });

    it('deletes a node with its items, subscriptions and affiliations', async () => {
      const { pubsub } = stores();
      await seed(pubsub, 3);
      await pubsub.createNode(node(SERVICE, 'keep'));
      await pubsub.publish(SERVICE, 'keep', item('k'), 10);
      for (const name of [NODE, 'keep']) {
        await pubsub.setSubscription(SERVICE, name, sub('bob@example.org', 's'));
        await pubsub.setAffiliation(SERVICE, name, 'bob@example.org', 'publisher');
      }
      expect(await pubsub.deleteNode(SERVICE, NODE)).toBe(true);
      expect(await pubsub.deleteNode(SERVICE, NODE)).toBe(false);
      expect(await pubsub.getNode(SERVICE, NODE)).toBeUndefined();
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([]);
      expect((await pubsub.listNodes(SERVICE)).map((n) => n.node)).toEqual(['keep']);
      // A node created again under the same name starts empty.
      expect(await pubsub.createNode(node(SERVICE, NODE))).toBe(true);
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.publish(SERVICE, NODE, item('item-a'), 10)).toEqual([]);
      expect(await itemIds(pubsub)).toEqual(['item-a']);
      // The other node is untouched.
      expect((await pubsub.items(SERVICE, 'keep')).count).toBe(1);
      expect(await pubsub.subscriptions(SERVICE, 'keep')).toHaveLength(1);
      expect(await pubsub.affiliations(SERVICE, 'keep')).toHaveLength(1);
    });

    it('deletes every node of a service and nothing else', async () => {
      const { pubsub } = stores();
      for (const svc of [PEP, `${PEP}.uk`, 'alice@example.or']) {
        for (const name of ['urn:xmpp:avatar:data', 'urn:xmpp:avatar:metadata']) {
          await pubsub.createNode(node(svc, name));
          await pubsub.publish(svc, name, item('cafe'), 1);
          await pubsub.setSubscription(svc, name, sub('bob@example.org', 's'));
          await pubsub.setAffiliation(svc, name, svc, 'owner');
        }
      }
      expect(await pubsub.deleteService(PEP)).toBe(2);
      expect(await pubsub.listNodes(PEP)).toStrictEqual([]);
      expect(await pubsub.items(PEP, 'urn:xmpp:avatar:data')).toStrictEqual({
        items: [],
        count: 0,
      });
      expect(await pubsub.subscriptionsOf(PEP, 'bob@example.org')).toStrictEqual([]);
      expect(await pubsub.affiliations(PEP, 'urn:xmpp:avatar:data')).toStrictEqual([]);
      expect(await pubsub.deleteService(PEP)).toBe(0);
      for (const svc of [`${PEP}.uk`, 'alice@example.or']) {
        expect(await pubsub.listNodes(svc)).toHaveLength(2);
        expect((await pubsub.items(svc, 'urn:xmpp:avatar:data')).count).toBe(1);
        expect(await pubsub.subscriptionsOf(svc, 'bob@example.org')).toHaveLength(2);
        expect(await pubsub.affiliations(svc, 'urn:xmpp:avatar:metadata')).toHaveLength(1);
      }
      await pubsub.createNode(node(PEP, 'urn:xmpp:avatar:data'));
      expect(await pubsub.items(PEP, 'urn:xmpp:avatar:data')).toStrictEqual({
        items: [],
        count: 0,
      });
    });

    it('hands out copies that callers cannot use to change stored data', async () => {
      const { pubsub } = stores();
      const n = node(SERVICE, NODE);
      await pubsub.createNode(n);
      (n.config.roster_groups_allowed as string[]).push('Enemies');
      (await pubsub.getNode(SERVICE, NODE))!.config.access_model = 'authorize';
      (await pubsub.listNodes(SERVICE))[0]!.createdAt = 1;
      expect(await pubsub.getNode(SERVICE, NODE)).toStrictEqual(node(SERVICE, NODE));
      const it1 = item('x');
      await pubsub.publish(SERVICE, NODE, it1, 10);
      it1.payload = 'mutated';
      (await pubsub.items(SERVICE, NODE)).items[0]!.payload = 'mutated';
      expect((await pubsub.items(SERVICE, NODE)).items).toStrictEqual([item('x')]);
      const s = sub('bob@example.org', 's', { options: { depth: '1' } });
      await pubsub.setSubscription(SERVICE, NODE, s);
      s.options!.depth = '2';
      (await pubsub.subscriptions(SERVICE, NODE))[0]!.options!.depth = '3';
      (await pubsub.subscriptionsOf(SERVICE, 'bob@example.org'))[0]!.options!.depth = '4';
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([
        sub('bob@example.org', 's', { options: { depth: '1' } }),
      ]);
    });

    it('rejects invalid arguments', async () => {
      const { pubsub } = stores();
      await expectStoreError(pubsub.createNode(node('', NODE)), 'invalid-argument');
      await expectStoreError(pubsub.createNode(node(SERVICE, '')), 'invalid-argument');
      await pubsub.createNode(node(SERVICE, NODE));
      await expectStoreError(pubsub.publish(SERVICE, NODE, item(''), 10), 'invalid-argument');
      await expectStoreError(pubsub.publish(SERVICE, NODE, item('x'), -1), 'invalid-argument');
      await expectStoreError(pubsub.publish(SERVICE, NODE, item('x'), 1.5), 'invalid-argument');
      await expectStoreError(pubsub.publish(SERVICE, NODE, item('x', NaN), 1), 'invalid-argument');
      await expectStoreError(pubsub.items(SERVICE, NODE, { max: -1 }), 'invalid-argument');
      await expectStoreError(
        pubsub.setSubscription(SERVICE, NODE, {
          ...sub('b@x.org', 's'),
          state: 'none' as 'pending',
        }),
        'invalid-argument',
      );
      await expectStoreError(
        pubsub.setAffiliation(SERVICE, NODE, 'b@x.org', 'boss' as 'owner'),
        'invalid-argument',
      );
      await expectStoreError(pubsub.subscriptionsOf(SERVICE, ''), 'invalid-argument');
      await expectStoreError(pubsub.deleteService(''), 'invalid-argument');
      expect(await pubsub.items(SERVICE, NODE)).toStrictEqual({ items: [], count: 0 });
      expect(await pubsub.subscriptions(SERVICE, NODE)).toStrictEqual([]);
      expect(await pubsub.affiliations(SERVICE, NODE)).toStrictEqual([]);
    });
  });
}
