import { describe, expect, it } from 'vitest';
import { fullItem, item, versionNumber, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';

export function rosterTests(stores: CurrentStores): void {
  describe('RosterStore', () => {
    it('returns version 0 and no items for an unknown owner', async () => {
      const { rosters } = stores();
      expect(await rosters.get(ALICE)).toStrictEqual({ version: '0', items: [] });
      expect(await rosters.getItem(ALICE, 'bob@example.org')).toBeUndefined();
    });

    it('stores items and returns the version of the last change', async () => {
      const { rosters } = stores();
      const v1 = await rosters.setItem(ALICE, item('bob@example.org'));
      const v2 = await rosters.setItem(ALICE, item('carol@example.org', { name: 'Carol' }));
      expect(versionNumber(v1)).toBeGreaterThan(0);
      expect(versionNumber(v2)).toBeGreaterThan(versionNumber(v1));
      const roster = await rosters.get(ALICE);
      expect(roster.version).toBe(v2);
      expect(roster.items).toStrictEqual([
        item('bob@example.org'),
        item('carol@example.org', { name: 'Carol' }),
      ]);
    });

    it('round-trips every field of an item', async () => {
      const { rosters } = stores();
      const full = fullItem('juliet@capulet.example');
      await rosters.setItem(ALICE, full);
      expect(await rosters.getItem(ALICE, full.jid)).toStrictEqual(full);
      expect((await rosters.get(ALICE)).items).toStrictEqual([full]);
    });

    it('keeps absent optional fields absent', async () => {
      const { rosters } = stores();
      await rosters.setItem(ALICE, item('bob@example.org', { name: undefined }));
      const got = await rosters.getItem(ALICE, 'bob@example.org');
      expect(got).toStrictEqual(item('bob@example.org'));
      expect(Object.keys(got!).sort()).toEqual(['groups', 'jid', 'listed', 'subscription']);
      await rosters.setItem(ALICE, item('carol@example.org', { name: '' }));
      expect(await rosters.getItem(ALICE, 'carol@example.org')).toHaveProperty('name', '');
    });

    it('replaces an item whole, dropping fields the new item lacks', async () => {
      const { rosters } = stores();
      const jid = 'juliet@capulet.example';
      const v1 = await rosters.setItem(ALICE, fullItem(jid));
      const plain = item(jid, { subscription: 'both', groups: ['Lovers'] });
      const v2 = await rosters.setItem(ALICE, plain);
      expect(versionNumber(v2)).toBeGreaterThan(versionNumber(v1));
      expect(await rosters.getItem(ALICE, jid)).toStrictEqual(plain);
      expect((await rosters.get(ALICE)).items).toHaveLength(1);
    });

    it('leaves the version alone when setItem changes nothing', async () => {
      const { rosters } = stores();
      const v1 = await rosters.setItem(ALICE, fullItem('juliet@capulet.example'));
      expect(await rosters.setItem(ALICE, fullItem('juliet@capulet.example'))).toBe(v1);
      const v2 = await rosters.setItem(ALICE, {
        ...fullItem('juliet@capulet.example'),
        groups: ['Family', 'Friends', 'Ünïcode 😀'],
      });
      expect(versionNumber(v2)).toBeGreaterThan(versionNumber(v1));
    });

    it('hands out copies that callers cannot use to change stored data', async () => {
      const { rosters } = stores();
      const stored = item('bob@example.org', { groups: ['A'] });
      await rosters.setItem(ALICE, stored);
      stored.groups.push('mutated-after-set');
      const got = await rosters.getItem(ALICE, 'bob@example.org');
      got!.groups.push('mutated-after-get');
      expect(await rosters.getItem(ALICE, 'bob@example.org')).toStrictEqual(
        item('bob@example.org', { groups: ['A'] }),
      );
    });

    it('removes items, bumping the version only when something was removed', async () => {
      const { rosters } = stores();
      await rosters.setItem(ALICE, item('bob@example.org'));
      const v1 = await rosters.setItem(ALICE, item('carol@example.org'));
      const v2 = await rosters.removeItem(ALICE, 'bob@example.org');
      expect(versionNumber(v2)).toBeGreaterThan(versionNumber(v1));
      expect(await rosters.getItem(ALICE, 'bob@example.org')).toBeUndefined();
      expect(await rosters.removeItem(ALICE, 'bob@example.org')).toBe(v2);
      expect(await rosters.removeItem(ALICE, 'nobody@example.org')).toBe(v2);
      expect(await rosters.get(ALICE)).toStrictEqual({
        version: v2,
        items: [item('carol@example.org')],
      });
      expect(await rosters.removeItem('nobody@example.org', 'x@example.org')).toBe('0');
      expect(await rosters.get('nobody@example.org')).toStrictEqual({ version: '0', items: [] });
    });

    it('increases the version strictly over many changes', async () => {
      const { rosters } = stores();
      const versions: number[] = [];
      for (let i = 0; i < 12; i++) {
        versions.push(versionNumber(await rosters.setItem(ALICE, item(`c${i}@example.org`))));
      }
      for (let i = 0; i < 12; i += 2) {
        versions.push(versionNumber(await rosters.removeItem(ALICE, `c${i}@example.org`)));
      }
      for (let i = 1; i < versions.length; i++) {
        expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
      }
      expect(versionNumber((await rosters.get(ALICE)).version)).toBe(versions.at(-1));
    });

    it('gives every concurrent change its own version', async () => {
      const { rosters } = stores();
      const versions = await Promise.all(
        Array.from({ length: 20 }, (_, i) => rosters.setItem(ALICE, item(`c${i}@example.org`))),
      );
      expect(new Set(versions).size).toBe(20);
      const roster = await rosters.get(ALICE);
      expect(roster.items).toHaveLength(20);
      expect(versionNumber(roster.version)).toBe(Math.max(...versions.map(versionNumber)));
    });

    it('keeps rosters of different owners apart, even when one jid prefixes another', async () => {
      const { rosters } = stores();
      const longer = `${ALICE}.uk`;
      await rosters.setItem(ALICE, item('bob@example.org'));
      await rosters.setItem(longer, item('carol@example.org'));
      await rosters.setItem(longer, item('dave@example.org'));
      expect((await rosters.get(ALICE)).items).toStrictEqual([item('bob@example.org')]);
      expect((await rosters.get(ALICE)).version).toBe('1');
      expect((await rosters.get(longer)).items.map((i) => i.jid)).toEqual([
        'carol@example.org',
        'dave@example.org',
      ]);
      await rosters.deleteAll(ALICE);
      expect((await rosters.get(longer)).items).toHaveLength(2);
      expect(await rosters.getItem(longer, 'bob@example.org')).toBeUndefined();
    });

    it('deletes a whole roster without ever reusing a version', async () => {
      const { rosters } = stores();
      await rosters.setItem(ALICE, item('bob@example.org'));
      const before = await rosters.setItem(ALICE, item('carol@example.org'));
      await rosters.deleteAll(ALICE);
      const emptied = await rosters.get(ALICE);
      expect(emptied.items).toEqual([]);
      expect(versionNumber(emptied.version)).toBeGreaterThan(versionNumber(before));
      await rosters.deleteAll(ALICE);
      expect((await rosters.get(ALICE)).version).toBe(emptied.version);
      const after = await rosters.setItem(ALICE, item('bob@example.org'));
      expect(versionNumber(after)).toBeGreaterThan(versionNumber(emptied.version));
      await rosters.deleteAll('nobody@example.org');
      expect(await rosters.get('nobody@example.org')).toStrictEqual({ version: '0', items: [] });
    });
  });
}
