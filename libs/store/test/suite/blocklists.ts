import { describe, expect, it } from 'vitest';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';

export function blocklistTests(stores: CurrentStores): void {
  describe('BlocklistStore', () => {
    it('returns an empty list for an unknown owner', async () => {
      expect(await stores().blocklists.get(ALICE)).toStrictEqual([]);
    });

    it('adds items of every JID form and returns the list in code-point order', async () => {
      const { blocklists } = stores();
      const first = await blocklists.add(ALICE, ['romeo@montague.example/orchard', 'iago.example']);
      expect(first).toStrictEqual(['iago.example', 'romeo@montague.example/orchard']);
      const second = await blocklists.add(ALICE, [
        'zed@example.org',
        'montague.example/balcony',
        '😀@example.org',
        '\uffef@example.org',
      ]);
      const expected = [
        'iago.example',
        'montague.example/balcony',
        'romeo@montague.example/orchard',
        'zed@example.org',
        '\uffef@example.org',
        '😀@example.org',
      ];
      expect(second).toStrictEqual(expected);
      expect(await blocklists.get(ALICE)).toStrictEqual(expected);
    });

    it('ignores items already blocked, also within one call', async () => {
      const { blocklists } = stores();
      await blocklists.add(ALICE, [BOB]);
      expect(
        await blocklists.add(ALICE, [BOB, 'carol@example.org', 'carol@example.org']),
      ).toStrictEqual([BOB, 'carol@example.org']);
      expect(await blocklists.add(ALICE, [])).toStrictEqual([BOB, 'carol@example.org']);
    });

    it('removes items, ignoring ones that are not there', async () => {
      const { blocklists } = stores();
      await blocklists.add(ALICE, [BOB, 'carol@example.org', 'example.net']);
      expect(
        await blocklists.remove(ALICE, ['carol@example.org', 'nobody@example.org']),
      ).toStrictEqual([BOB, 'example.net']);
      expect(await blocklists.remove(ALICE, [BOB, 'example.net'])).toStrictEqual([]);
      expect(await blocklists.get(ALICE)).toStrictEqual([]);
      expect(await blocklists.remove('nobody@example.org', [BOB])).toStrictEqual([]);
    });

    it('keeps owners apart, also owners sharing a prefix, and clears one', async () => {
      const { blocklists } = stores();
      await blocklists.add(ALICE, [BOB]);
      await blocklists.add(`${ALICE}.uk`, ['mallory@example.org']);
      await blocklists.add('a@example.org', ['eve@example.org']);
      await blocklists.clear(ALICE);
      expect(await blocklists.get(ALICE)).toStrictEqual([]);
      expect(await blocklists.get(`${ALICE}.uk`)).toStrictEqual(['mallory@example.org']);
      expect(await blocklists.get('a@example.org')).toStrictEqual(['eve@example.org']);
      await blocklists.clear(ALICE);
      await blocklists.clear('nobody@example.org');
      expect(await blocklists.add(ALICE, ['eve@example.org'])).toStrictEqual(['eve@example.org']);
    });

    it('returns copies: changing a returned list changes nothing stored', async () => {
      const { blocklists } = stores();
      const list = await blocklists.add(ALICE, [BOB]);
      list.push('mallory@example.org');
      (await blocklists.get(ALICE)).pop();
      expect(await blocklists.get(ALICE)).toStrictEqual([BOB]);
    });

    it('rejects an empty owner or item and changes nothing', async () => {
      const { blocklists } = stores();
      await expectStoreError(blocklists.get(''), 'invalid-argument');
      await expectStoreError(blocklists.add('', [BOB]), 'invalid-argument');
      await expectStoreError(blocklists.add(ALICE, [BOB, '']), 'invalid-argument');
      await expectStoreError(blocklists.remove(ALICE, ['']), 'invalid-argument');
      await expectStoreError(blocklists.clear(''), 'invalid-argument');
      expect(await blocklists.get(ALICE)).toStrictEqual([]);
    });
  });
}
