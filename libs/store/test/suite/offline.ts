import { describe, expect, it } from 'vitest';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const msg = (n: number) => `<message to='${ALICE}'><body>m${n}</body></message>`;

export function offlineTests(stores: CurrentStores): void {
  describe('OfflineStore', () => {
    it('stores a message and returns it with its id', async () => {
      const { offline } = stores();
      const stored = await offline.push(ALICE, msg(1), 1000, 10);
      expect(stored).toStrictEqual({ id: expect.any(String), ts: 1000, xml: msg(1) });
      expect(await offline.list(ALICE)).toStrictEqual([stored]);
      expect(await offline.count(ALICE)).toBe(1);
    });

    it('is empty for an unknown owner', async () => {
      const { offline } = stores();
      expect(await offline.list(ALICE)).toEqual([]);
      expect(await offline.count(ALICE)).toBe(0);
      expect(await offline.remove(ALICE, ['1'])).toBe(0);
      expect(await offline.deleteAll(ALICE)).toBe(0);
    });

    it('lists in arrival order with ids that increase and sort as strings', async () => {
      const { offline } = stores();
      const pushed = [];
      // Timestamps deliberately out of order: arrival order wins.
      for (let i = 0; i < 25; i++) pushed.push(await offline.push(ALICE, msg(i), 5000 - i, 100));
      const list = await offline.list(ALICE);
      expect(list).toStrictEqual(pushed);
      const ids = list.map((m) => m.id);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(25);
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    });

    it('honours the list limit', async () => {
      const { offline } = stores();
      for (let i = 0; i < 5; i++) await offline.push(ALICE, msg(i), 1000 + i, 10);
      const firstTwo = await offline.list(ALICE, 2);
      expect(firstTwo.map((m) => m.xml)).toEqual([msg(0), msg(1)]);
      expect(await offline.list(ALICE, 50)).toHaveLength(5);
      await expectStoreError(offline.list(ALICE, 0), 'invalid-argument');
    });

    it('refuses pushes once the queue holds cap messages', async () => {
      const { offline } = stores();
      for (let i = 0; i < 3; i++) expect(await offline.push(ALICE, msg(i), 1000, 3)).toBeDefined();
      expect(await offline.push(ALICE, msg(3), 1000, 3)).toBeUndefined();
      expect(await offline.count(ALICE)).toBe(3);
      expect(await offline.push(ALICE, msg(4), 1000, 5)).toBeDefined();
      expect(await offline.push(ALICE, msg(5), 1000, 0)).toBeUndefined();
      expect(await offline.push(BOB, msg(6), 1000, 0)).toBeUndefined();
      expect(await offline.count(BOB)).toBe(0);
      const [first] = await offline.list(ALICE, 1);
      await offline.remove(ALICE, [first!.id]);
      expect(await offline.push(ALICE, msg(7), 1000, 4)).toBeDefined();
      expect(await offline.push(ALICE, msg(8), 1000, 4)).toBeUndefined();
      await expectStoreError(offline.push(ALICE, msg(9), 1000, -1), 'invalid-argument');
    });

    it('refuses pushes that would pass maxBytes (UTF-8 bytes); removals give the bytes back', async () => {
      const { offline } = stores();
      // 'é' is two bytes in UTF-8: the bound counts bytes, not characters.
      const wide = (n: number) => `<message><body>${'é'.repeat(n)}</body></message>`;
      const size = Buffer.byteLength(wide(40));
      expect(size).toBeGreaterThan(wide(40).length);
      const max = 3 * size;
      for (let i = 0; i < 3; i++)
        expect(await offline.push(ALICE, wide(40), 1000 + i, 100, max)).toBeDefined();
      expect(await offline.push(ALICE, wide(40), 1003, 100, max)).toBeUndefined();
      expect(await offline.push(ALICE, '<m/>', 1003, 100, max)).toBeUndefined();
      expect(await offline.count(ALICE)).toBe(3);
      // Per owner; one message larger than the bound alone never fits.
      expect(await offline.push(BOB, wide(40), 5000, 100, max)).toBeDefined();
      expect(await offline.push(BOB, wide(200), 5000, 100, max)).toBeUndefined();
      // Without a byte bound (0, or left out) only the count applies.
      expect(await offline.push(BOB, wide(200), 5000, 100, 0)).toBeDefined();
      expect(await offline.push(BOB, wide(200), 5000, 100)).toBeDefined();
      // remove, deleteOlderThan and deleteAll give the bytes back.
      const [first] = await offline.list(ALICE, 1);
      expect(await offline.remove(ALICE, [first!.id])).toBe(1);
      expect(await offline.push(ALICE, wide(40), 1004, 100, max)).toBeDefined();
      expect(await offline.push(ALICE, wide(40), 1005, 100, max)).toBeUndefined();
      expect(await offline.deleteOlderThan(1002)).toBe(1); // ALICE's message of 1001
      expect(await offline.push(ALICE, wide(40), 1006, 100, max)).toBeDefined();
      expect(await offline.push(ALICE, wide(40), 1007, 100, max)).toBeUndefined();
      expect(await offline.deleteAll(ALICE)).toBe(3);
      for (let i = 0; i < 3; i++)
        expect(await offline.push(ALICE, wide(40), 2000 + i, 100, max)).toBeDefined();
      await expectStoreError(offline.push(ALICE, wide(1), 1000, 10, -1), 'invalid-argument');
    });

    it('stores exactly what maxBytes holds when pushes race', async () => {
      const { offline } = stores();
      const size = Buffer.byteLength(msg(10));
      const results = await Promise.all(
        Array.from({ length: 15 }, () => offline.push(ALICE, msg(10), 1000, 100, 5 * size)),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(5);
      expect(await offline.count(ALICE)).toBe(5);
    });

    it('stores exactly cap messages when pushes race', async () => {
      const { offline } = stores();
      const cap = 25;
      const results = await Promise.all(
        Array.from({ length: cap + 10 }, (_, i) => offline.push(ALICE, msg(i), 1000 + i, cap)),
      );
      const stored = results.filter((r) => r !== undefined);
      expect(stored).toHaveLength(cap);
      expect(new Set(stored.map((m) => m.id)).size).toBe(cap);
      expect(await offline.count(ALICE)).toBe(cap);
      expect(await offline.list(ALICE)).toHaveLength(cap);
    });

    it('removes by id, ignoring unknown and malformed ids', async () => {
      const { offline } = stores();
      const pushed = [];
      for (let i = 0; i < 5; i++) pushed.push((await offline.push(ALICE, msg(i), 1000, 10))!);
      const removed = await offline.remove(ALICE, [
        pushed[1]!.id,
        pushed[3]!.id,
        pushed[3]!.id,
        '999999',
        'not-an-id',
        '',
      ]);
      expect(removed).toBe(2);
      expect(await offline.list(ALICE)).toStrictEqual([pushed[0], pushed[2], pushed[4]]);
      expect(await offline.count(ALICE)).toBe(3);
      expect(await offline.remove(ALICE, [pushed[1]!.id])).toBe(0);
      expect(await offline.remove(ALICE, [])).toBe(0);
    });

    it('deletes a whole queue and keeps ids increasing afterwards', async () => {
      const { offline } = stores();
      let last = '';
      for (let i = 0; i < 4; i++) last = (await offline.push(ALICE, msg(i), 1000, 10))!.id;
      await offline.push(BOB, msg(99), 1000, 10);
      expect(await offline.deleteAll(ALICE)).toBe(4);
      expect(await offline.list(ALICE)).toEqual([]);
      expect(await offline.count(ALICE)).toBe(0);
      expect(await offline.count(BOB)).toBe(1);
      const next = await offline.push(ALICE, msg(5), 1000, 10);
      expect(next!.id > last).toBe(true);
      expect(await offline.deleteAll(ALICE)).toBe(1);
      expect(await offline.deleteAll(ALICE)).toBe(0);
    });

    it('keeps queues of different owners apart, even when one jid prefixes another', async () => {
      const { offline } = stores();
      const longer = `${ALICE}.uk`;
      await offline.push(ALICE, msg(1), 1000, 10);
      await offline.push(longer, msg(2), 1000, 10);
      await offline.push(longer, msg(3), 1000, 10);
      expect((await offline.list(ALICE)).map((m) => m.xml)).toEqual([msg(1)]);
      expect(await offline.count(longer)).toBe(2);
      expect(await offline.deleteAll(ALICE)).toBe(1);
      expect(await offline.count(longer)).toBe(2);
    });

    it('deletes messages stored before a time across all owners', async () => {
      const { offline } = stores();
      await offline.push(ALICE, msg(1), 1000, 10);
      const aliceKept = await offline.push(ALICE, msg(2), 3000, 10);
      await offline.push(ALICE, msg(3), 1500, 10);
      const bobKept = await offline.push(BOB, msg(4), 2000, 10);
      await offline.push(BOB, msg(5), 1999, 10);
      expect(await offline.deleteOlderThan(2000)).toBe(3);
      expect(await offline.list(ALICE)).toStrictEqual([aliceKept]);
      expect(await offline.list(BOB)).toStrictEqual([bobKept]);
      expect(await offline.count(ALICE)).toBe(1);
      expect(await offline.count(BOB)).toBe(1);
      expect(await offline.deleteOlderThan(2000)).toBe(0);
      expect(await offline.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(2);
      expect(await offline.count(ALICE)).toBe(0);
    });

    it('expires large backlogs completely', async () => {
      const { offline } = stores();
      const owners = Array.from({ length: 60 }, (_, i) => `user${i}@example.org`);
      await Promise.all(
        owners.flatMap((owner, o) =>
          Array.from({ length: 200 }, (_, i) => offline.push(owner, msg(i), o * 1000 + i, 1000)),
        ),
      );
      expect(await offline.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(12_000);
      for (const owner of owners.slice(0, 3)) expect(await offline.count(owner)).toBe(0);
    });

    it('frees capacity when messages are removed or expire', async () => {
      const { offline } = stores();
      await offline.push(ALICE, msg(1), 1000, 2);
      await offline.push(ALICE, msg(2), 1000, 2);
      expect(await offline.push(ALICE, msg(3), 1000, 2)).toBeUndefined();
      await offline.deleteOlderThan(1001);
      expect(await offline.push(ALICE, msg(4), 1000, 2)).toBeDefined();
    });
  });
}
