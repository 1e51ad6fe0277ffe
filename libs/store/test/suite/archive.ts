import { describe, expect, it } from 'vitest';
import type { ArchivedMessage, ArchiveQuery, ArchiveStore } from '../../src/contracts.js';
import { newArchiveId } from '../../src/shared/archive-id.js';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@example.org';
const ROOM = 'room@conference.example.org';
const T0 = 1_700_000_000_000;

function message(
  ts: number,
  withJid: string,
  extra: Partial<ArchivedMessage> = {},
): ArchivedMessage {
  const id = extra.id ?? newArchiveId(ts);
  return {
    id,
    ts,
    with: withJid,
    xml: `<message from='${withJid}' to='${ALICE}'><body>${id}</body></message>`,
    ...extra,
  };
}

/** Appends messages one second apart, alternating the other party, in archive order. */
async function fill(archive: ArchiveStore, n: number, owner = ALICE): Promise<ArchivedMessage[]> {
  const parties = [BOB, CAROL, BOB];
  const out: ArchivedMessage[] = [];
  for (let i = 0; i < n; i++) {
    const msg = message(T0 + i * 1000, parties[i % 3]!, i % 2 ? { withResource: 'phone' } : {});
    expect(await archive.append(owner, msg)).toBe(true);
    out.push(msg);
  }
  return out;
}

const ids = (items: ArchivedMessage[]) => items.map((m) => m.id);

/** Pages forwards (RSM <after/>) until `complete`, returning every item seen. */
async function pageForward(
  archive: ArchiveStore,
  owner: string,
  q: Omit<ArchiveQuery, 'limit' | 'afterId' | 'fromEnd'>,
  limit: number,
): Promise<{ items: ArchivedMessage[]; pages: number }> {
  const items: ArchivedMessage[] = [];
  let afterId: string | undefined;
  for (let pages = 1; pages < 1000; pages++) {
    const page = await archive.query(owner, { ...q, limit, ...(afterId ? { afterId } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (page.complete) return { items, pages };
    expect(page.items).toHaveLength(limit);
    afterId = page.items[page.items.length - 1]!.id;
  }
  throw new Error('paging never completed');
}

/** Pages backwards from the newest (RSM <before/>) until `complete`, returning items in order. */
async function pageBackward(
  archive: ArchiveStore,
  owner: string,
  q: Omit<ArchiveQuery, 'limit' | 'beforeId' | 'fromEnd'>,
  limit: number,
): Promise<{ items: ArchivedMessage[]; pages: number }> {
  let items: ArchivedMessage[] = [];
  let beforeId: string | undefined;
  for (let pages = 1; pages < 1000; pages++) {
    const page = await archive.query(owner, {
      ...q,
      limit,
      fromEnd: true,
      ...(beforeId ? { beforeId } : {}),
    });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    expect(ids(page.items)).toEqual([...ids(page.items)].sort());
    items = [...page.items, ...items];
    if (page.complete) return { items, pages };
    expect(page.items).toHaveLength(limit);
    beforeId = page.items[0]!.id;
  }
  throw new Error('paging never completed');
}

export function archiveTests(stores: CurrentStores): void {
  describe('ArchiveStore', () => {
    it('is empty for an unknown archive', async () => {
      const { archive } = stores();
      expect(await archive.query(ALICE, { limit: 10 })).toStrictEqual({
        items: [],
        complete: true,
      });
      expect(await archive.query(ALICE, { limit: 10, fromEnd: true })).toStrictEqual({
        items: [],
        complete: true,
      });
      expect(await archive.count(ALICE, {})).toBe(0);
      expect(await archive.get(ALICE, newArchiveId(T0))).toBeUndefined();
      expect(await archive.deleteAll(ALICE)).toBe(0);
      expect(await archive.getPrefs(ALICE)).toBeUndefined();
    });

    it('appends a message and reads it back exactly, absent fields staying absent', async () => {
      const { archive } = stores();
      const plain = message(T0, BOB, { withResource: undefined });
      const full = message(T0 + 1, ROOM, { withResource: 'Nick ✓ 😀' });
      expect(await archive.append(ALICE, plain)).toBe(true);
      expect(await archive.append(ALICE, full)).toBe(true);
      const got = await archive.get(ALICE, plain.id);
      expect(got).toStrictEqual(message(T0, BOB, { id: plain.id }));
      expect(Object.keys(got!).sort()).toEqual(['id', 'ts', 'with', 'xml']);
      expect(await archive.get(ALICE, full.id)).toStrictEqual(full);
      expect(await archive.get(BOB, full.id)).toBeUndefined();
      expect(await archive.query(ALICE, { limit: 10 })).toStrictEqual({
        items: [got, full],
        complete: true,
      });
    });

    it('refuses to append an id twice and keeps the original', async () => {
      const { archive } = stores();
      const original = message(T0, BOB);
      expect(await archive.append(ALICE, original)).toBe(true);
      const again = { ...original, ts: T0 + 5, with: CAROL, xml: '<message/>' };
      expect(await archive.append(ALICE, again)).toBe(false);
      expect(await archive.get(ALICE, original.id)).toStrictEqual(original);
      expect(await archive.count(ALICE, {})).toBe(1);
      // The same id in another archive is a different message.
      expect(await archive.append(BOB, again)).toBe(true);
      expect(await archive.get(BOB, original.id)).toStrictEqual(again);
      // Concurrent redeliveries store it once.
      const dup = message(T0 + 9, BOB);
      const results = await Promise.all([1, 2, 3, 4].map(() => archive.append(ALICE, dup)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await archive.count(ALICE, {})).toBe(2);
    });

    it('returns messages in id order whatever order they were appended in', async () => {
      const { archive } = stores();
      const msgs = [0, 1, 2, 3, 4, 5].map((i) => message(T0 + i, BOB));
      for (const i of [3, 0, 5, 1, 4, 2]) await archive.append(ALICE, msgs[i]!);
      expect((await archive.query(ALICE, { limit: 100 })).items).toStrictEqual(msgs);
      expect((await archive.query(ALICE, { limit: 2, fromEnd: true })).items).toStrictEqual(
        msgs.slice(4),
      );
    });

    it('takes the first or the newest `limit` matches and says whether more exist', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 10);
      const first = await archive.query(ALICE, { limit: 3 });
      expect(first).toStrictEqual({ items: msgs.slice(0, 3), complete: false });
      const last = await archive.query(ALICE, { limit: 3, fromEnd: true });
      expect(last).toStrictEqual({ items: msgs.slice(7), complete: false });
      // A page that exactly reaches the end is complete.
      expect(await archive.query(ALICE, { limit: 10 })).toStrictEqual({
        items: msgs,
        complete: true,
      });
      expect(await archive.query(ALICE, { limit: 10, fromEnd: true })).toStrictEqual({
        items: msgs,
        complete: true,
      });
      expect(await archive.query(ALICE, { limit: 11 })).toStrictEqual({
        items: msgs,
        complete: true,
      });
      expect(await archive.query(ALICE, { limit: 9 })).toStrictEqual({
        items: msgs.slice(0, 9),
        complete: false,
      });
    });

    it('answers limit 0 with no items, complete only when nothing matches', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 3);
      expect(await archive.query(ALICE, { limit: 0 })).toStrictEqual({
        items: [],
        complete: false,
      });
      expect(await archive.query(ALICE, { limit: 0, afterId: msgs[2]!.id })).toStrictEqual({
        items: [],
        complete: true,
      });
      expect(await archive.query(BOB, { limit: 0, fromEnd: true })).toStrictEqual({
        items: [],
        complete: true,
      });
    });

    it('pages forwards with afterId until exhausted, seeing every message once in order', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 23);
      for (const limit of [1, 4, 5, 23, 50]) {
        const { items, pages } = await pageForward(archive, ALICE, {}, limit);
        expect(items).toStrictEqual(msgs);
        expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
      }
    });

    it('pages backwards with beforeId until exhausted, seeing every message once in order', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 23);
      for (const limit of [1, 4, 5, 23, 50]) {
        const { items, pages } = await pageBackward(archive, ALICE, {}, limit);
        expect(items).toStrictEqual(msgs);
        expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
      }
    });

    it('pages through filtered results both ways', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 40);
      const q = { with: BOB, start: T0 + 5_000, end: T0 + 33_000 };
      const expected = msgs.filter((m) => m.with === BOB && m.ts >= q.start && m.ts <= q.end);
      expect(expected.length).toBeGreaterThan(10);
      for (const limit of [1, 3, 7]) {
        expect((await pageForward(archive, ALICE, q, limit)).items).toStrictEqual(expected);
        expect((await pageBackward(archive, ALICE, q, limit)).items).toStrictEqual(expected);
      }
      expect(await archive.count(ALICE, q)).toBe(expected.length);
    });

    it('treats afterId and beforeId as exclusive bounds, also together and for unknown ids', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 8);
      const [, m1, , , , , m6] = msgs;
      expect(ids((await archive.query(ALICE, { limit: 10, afterId: m1!.id })).items)).toEqual(
        ids(msgs.slice(2)),
      );
      expect(ids((await archive.query(ALICE, { limit: 10, beforeId: m6!.id })).items)).toEqual(
        ids(msgs.slice(0, 6)),
      );
      const between = await archive.query(ALICE, {
        limit: 10,
        afterId: m1!.id,
        beforeId: m6!.id,
      });
      expect(between).toStrictEqual({ items: msgs.slice(2, 6), complete: true });
      const newestBetween = await archive.query(ALICE, {
        limit: 2,
        afterId: m1!.id,
        beforeId: m6!.id,
        fromEnd: true,
      });
      expect(newestBetween).toStrictEqual({ items: msgs.slice(4, 6), complete: false });
      expect(
        (await archive.query(ALICE, { limit: 10, afterId: m6!.id, beforeId: m1!.id })).items,
      ).toEqual([]);
      // Ids that are not in the archive still bound by string order.
      const gap = `${m1!.id}~`;
      expect(ids((await archive.query(ALICE, { limit: 10, afterId: gap })).items)).toEqual(
        ids(msgs.slice(2)),
      );
      expect(ids((await archive.query(ALICE, { limit: 10, beforeId: gap })).items)).toEqual(
        ids(msgs.slice(0, 2)),
      );
      expect((await archive.query(ALICE, { limit: 10, afterId: '' })).items).toHaveLength(8);
      expect((await archive.query(ALICE, { limit: 10, afterId: '~' })).items).toEqual([]);
      expect((await archive.query(ALICE, { limit: 10, beforeId: '0' })).items).toEqual([]);
    });

    it('filters by an inclusive time range', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 10); // T0, T0+1000, ..., T0+9000
      const range = (start?: number, end?: number) =>
        archive.query(ALICE, {
          limit: 100,
          ...(start === undefined ? {} : { start }),
          ...(end === undefined ? {} : { end }),
        });
      expect((await range(T0 + 2000, T0 + 4000)).items).toStrictEqual(msgs.slice(2, 5));
      expect((await range(T0 + 1999, T0 + 4001)).items).toStrictEqual(msgs.slice(2, 5));
      expect((await range(T0 + 2001, T0 + 3999)).items).toStrictEqual(msgs.slice(3, 4));
      expect((await range(T0 + 2001, T0 + 2999)).items).toStrictEqual([]);
      expect((await range(T0 + 7000)).items).toStrictEqual(msgs.slice(7));
      expect((await range(undefined, T0 + 1000)).items).toStrictEqual(msgs.slice(0, 2));
      expect((await range(T0 + 9000, T0 + 9000)).items).toStrictEqual(msgs.slice(9));
      expect((await range(T0 + 5000, T0 + 4000)).items).toStrictEqual([]);
      expect((await range(0, Number.MAX_SAFE_INTEGER)).items).toStrictEqual(msgs);
      expect((await range(-1e15, 1e16)).items).toStrictEqual(msgs);
      expect(await archive.count(ALICE, { start: T0 + 2000, end: T0 + 4000 })).toBe(3);
      const newest = await archive.query(ALICE, {
        limit: 2,
        start: T0 + 2000,
        end: T0 + 6000,
        fromEnd: true,
      });
      expect(newest).toStrictEqual({ items: msgs.slice(5, 7), complete: false });
      const oldest = await archive.query(ALICE, { limit: 5, start: T0 + 2000, end: T0 + 6000 });
      expect(oldest).toStrictEqual({ items: msgs.slice(2, 7), complete: true });
      // Time and id bounds together: the tighter one wins.
      const both = await archive.query(ALICE, {
        limit: 100,
        start: T0 + 2000,
        afterId: msgs[4]!.id,
        end: T0 + 8000,
        beforeId: msgs[9]!.id,
      });
      expect(both.items).toStrictEqual(msgs.slice(5, 9));
      const both2 = await archive.query(ALICE, {
        limit: 100,
        start: T0 + 5000,
        afterId: msgs[1]!.id,
        end: T0 + 6000,
        beforeId: msgs[9]!.id,
      });
      expect(both2.items).toStrictEqual(msgs.slice(5, 7));
    });

    it('filters time by ts even when ids do not encode the message time', async () => {
      const { archive } = stores();
      // Ids made at other times than the message's ts, and ids of another format.
      const early = message(T0 + 5000, BOB, { id: newArchiveId(T0 - 50_000) });
      const late = message(T0 + 1000, BOB, { id: newArchiveId(T0 + 90_000) });
      const odd = message(T0 + 3000, CAROL, { id: 'zz-not-a-time-id' });
      const normal = message(T0 + 2000, BOB);
      for (const m of [early, late, odd, normal]) await archive.append(ALICE, m);
      const q = (start: number, end: number) =>
        archive.query(ALICE, { limit: 10, start, end }).then((p) => p.items);
      expect(await q(T0 + 4000, T0 + 6000)).toStrictEqual([early]);
      expect(await q(T0 + 500, T0 + 1500)).toStrictEqual([late]);
      expect(await q(T0 + 2500, T0 + 3500)).toStrictEqual([odd]);
      expect(await q(T0, T0 + 10_000)).toStrictEqual([early, normal, late, odd]);
      expect(await archive.count(ALICE, { start: T0 + 4000 })).toBe(1);
    });

    it('filters by bare JID, and by full JID when withResource is given', async () => {
      const { archive } = stores();
      const a = message(T0, BOB, { withResource: 'phone' });
      const b = message(T0 + 1, BOB, { withResource: 'laptop' });
      const c = message(T0 + 2, BOB);
      const d = message(T0 + 3, CAROL, { withResource: 'phone' });
      const e = message(T0 + 4, `${BOB}.uk`, { withResource: 'phone' });
      for (const m of [a, b, c, d, e]) await archive.append(ALICE, m);
      const q = async (filter: Partial<ArchiveQuery>) =>
        ids((await archive.query(ALICE, { limit: 10, ...filter })).items);
      expect(await q({ with: BOB })).toEqual(ids([a, b, c]));
      expect(await q({ with: BOB, withResource: 'phone' })).toEqual(ids([a]));
      expect(await q({ with: BOB, withResource: 'tablet' })).toEqual([]);
      expect(await q({ with: CAROL })).toEqual(ids([d]));
      expect(await q({ with: 'example.org' })).toEqual([]);
      expect(await q({ with: `${BOB}.uk` })).toEqual(ids([e]));
      expect(await archive.count(ALICE, { with: BOB })).toBe(3);
      expect(await archive.count(ALICE, { with: BOB, withResource: 'laptop' })).toBe(1);
      const newestBob = await archive.query(ALICE, { with: BOB, limit: 2, fromEnd: true });
      expect(newestBob).toStrictEqual({ items: [b, c], complete: false });
    });

    it('archives room messages by nick', async () => {
      const { archive } = stores();
      const m1 = message(T0, ROOM, { withResource: 'romeo' });
      const m2 = message(T0 + 1, ROOM, { withResource: 'juliet' });
      await archive.append(ROOM, m1);
      await archive.append(ROOM, m2);
      expect((await archive.query(ROOM, { limit: 5, with: ROOM })).items).toStrictEqual([m1, m2]);
      expect(
        (await archive.query(ROOM, { limit: 5, with: ROOM, withResource: 'juliet' })).items,
      ).toStrictEqual([m2]);
    });

    it('selects by ids in archive order, skipping unknown ones, within the other filters', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 6);
      const [m0, m1, m2, m3, , m5] = msgs;
      const pick = [m5!.id, m1!.id, 'unknown', m3!.id, m1!.id, m0!.id];
      expect(await archive.query(ALICE, { limit: 10, ids: pick })).toStrictEqual({
        items: [m0, m1, m3, m5],
        complete: true,
      });
      expect(await archive.query(ALICE, { limit: 2, ids: pick })).toStrictEqual({
        items: [m0, m1],
        complete: false,
      });
      expect(await archive.query(ALICE, { limit: 2, ids: pick, fromEnd: true })).toStrictEqual({
        items: [m3, m5],
        complete: false,
      });
      expect(
        (await archive.query(ALICE, { limit: 10, ids: pick, afterId: m1!.id })).items,
      ).toStrictEqual([m3, m5]);
      expect((await archive.query(ALICE, { limit: 10, ids: pick, with: BOB })).items).toStrictEqual(
        [m0, m3, m5].filter((m) => m!.with === BOB),
      );
      expect((await archive.query(ALICE, { limit: 10, ids: [] })).items).toEqual([]);
      expect((await archive.query(ALICE, { limit: 10, ids: [m2!.id] })).items).toStrictEqual([m2]);
      expect((await archive.query(BOB, { limit: 10, ids: [m2!.id] })).items).toEqual([]);
      expect(await archive.count(ALICE, { ids: pick })).toBe(4);
      expect(await archive.count(ALICE, { ids: pick, beforeId: m3!.id })).toBe(2);
    });

    it('counts the matches of every filter, ignoring paging', async () => {
      const { archive } = stores();
      const msgs = await fill(archive, 12);
      expect(await archive.count(ALICE, {})).toBe(12);
      expect(await archive.count(ALICE, { afterId: msgs[3]!.id })).toBe(8);
      expect(await archive.count(ALICE, { beforeId: msgs[3]!.id })).toBe(3);
      expect(await archive.count(ALICE, { with: CAROL })).toBe(4);
      expect(await archive.count(ALICE, { with: BOB, withResource: 'phone' })).toBe(4);
      expect(await archive.count(ALICE, { start: T0 + 11_000 })).toBe(1);
      expect(await archive.count(ALICE, { end: T0 - 1 })).toBe(0);
      expect(await archive.count(BOB, {})).toBe(0);
    });

    it('keeps archives apart, also archives whose JIDs share a prefix', async () => {
      const { archive } = stores();
      const mine = await fill(archive, 3, ALICE);
      const theirs = await fill(archive, 4, `${ALICE}.uk`);
      const short = await fill(archive, 2, 'alice@example.or');
      expect((await archive.query(ALICE, { limit: 10 })).items).toStrictEqual(mine);
      expect((await archive.query(ALICE, { limit: 10, fromEnd: true })).items).toStrictEqual(mine);
      expect(await archive.count(`${ALICE}.uk`, {})).toBe(4);
      expect(await archive.deleteAll(ALICE)).toBe(3);
      expect(await archive.query(ALICE, { limit: 10 })).toStrictEqual({
        items: [],
        complete: true,
      });
      expect((await archive.query(`${ALICE}.uk`, { limit: 10 })).items).toStrictEqual(theirs);
      expect((await archive.query('alice@example.or', { limit: 10 })).items).toStrictEqual(short);
      expect(await archive.deleteAll(ALICE)).toBe(0);
      // The archive can be used again after deletion.
      const again = message(T0 + 100, BOB, { id: mine[0]!.id });
      expect(await archive.append(ALICE, again)).toBe(true);
      expect((await archive.query(ALICE, { limit: 10 })).items).toStrictEqual([again]);
    });

    it('deletes messages archived before a time across all archives', async () => {
      const { archive } = stores();
      const mine = await fill(archive, 6, ALICE); // T0 .. T0+5000
      const room = await fill(archive, 4, ROOM); // T0 .. T0+3000
      expect(await archive.deleteOlderThan(T0 + 2000)).toBe(4);
      expect((await archive.query(ALICE, { limit: 10 })).items).toStrictEqual(mine.slice(2));
      expect((await archive.query(ROOM, { limit: 10 })).items).toStrictEqual(room.slice(2));
      expect(await archive.count(ALICE, {})).toBe(4);
      expect(await archive.get(ALICE, mine[1]!.id)).toBeUndefined();
      expect(await archive.deleteOlderThan(T0 + 2000)).toBe(0);
      expect(await archive.deleteOlderThan(T0 + 3001)).toBe(4);
      expect(await archive.count(ROOM, {})).toBe(0);
      expect(await archive.count(ALICE, {})).toBe(2);
      expect(await archive.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(2);
      expect(await archive.count(ALICE, {})).toBe(0);
      // A deleted id may be appended again.
      expect(await archive.append(ALICE, mine[0]!)).toBe(true);
    });

    it('trims an archive to its newest messages, across time buckets, keeping prefs', async () => {
      const { archive } = stores();
      const DAY = 86_400_000;
      const parties = [BOB, CAROL];
      const mine: ArchivedMessage[] = [];
      for (let i = 0; i < 6; i++) {
        const msg = message(T0 + i * 20 * DAY, parties[i % 2]!);
        expect(await archive.append(ALICE, msg)).toBe(true);
        mine.push(msg);
      }
      const other = await fill(archive, 3, `${ALICE}.uk`);
      const room = await fill(archive, 2, ROOM);
      const prefs = { default: 'always' as const, always: [], never: [CAROL] };
      await archive.setPrefs(ALICE, prefs);
      expect(await archive.trim(ALICE, 4)).toBe(2);
      expect((await archive.query(ALICE, { limit: 10 })).items).toStrictEqual(mine.slice(2));
      expect(ids((await archive.query(ALICE, { limit: 10, with: BOB })).items)).toStrictEqual(
        ids(mine.slice(2).filter((m) => m.with === BOB)),
      );
      expect(await archive.get(ALICE, mine[1]!.id)).toBeUndefined();
      expect(await archive.count(ALICE, {})).toBe(4);
      expect(await archive.trim(ALICE, 4)).toBe(0);
      expect(await archive.trim(ALICE, 100)).toBe(0);
      expect(await archive.trim(ALICE, 1)).toBe(3);
      expect((await archive.query(ALICE, { limit: 10 })).items).toStrictEqual(mine.slice(5));
      expect(await archive.trim(ALICE, 0)).toBe(1);
      expect(await archive.count(ALICE, {})).toBe(0);
      expect(await archive.getPrefs(ALICE)).toStrictEqual(prefs);
      expect((await archive.query(`${ALICE}.uk`, { limit: 10 })).items).toStrictEqual(other);
      expect((await archive.query(ROOM, { limit: 10 })).items).toStrictEqual(room);
      expect(await archive.trim('nobody@example.org', 0)).toBe(0);
      // A trimmed id may be appended again, and expiry still works after a trim.
      expect(await archive.append(ALICE, mine[0]!)).toBe(true);
      expect(await archive.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(6);
    });

    it('trims a large archive in batches', async () => {
      const { archive } = stores();
      const all = await Promise.all(
        Array.from({ length: 600 }, async (_, i) => {
          const msg = message(T0 + i, BOB);
          await archive.append(ALICE, msg);
          return msg;
        }),
      );
      expect(await archive.trim(ALICE, 50)).toBe(550);
      expect(ids((await archive.query(ALICE, { limit: 100 })).items)).toStrictEqual(
        ids(all.slice(550)),
      );
    });

    it('rejects a bad trim', async () => {
      const { archive } = stores();
      await expectStoreError(archive.trim('', 1), 'invalid-argument');
      await expectStoreError(archive.trim(ALICE, -1), 'invalid-argument');
      await expectStoreError(archive.trim(ALICE, 1.5), 'invalid-argument');
    });

    it('expires large archives completely', async () => {
      const { archive } = stores();
      const owners = Array.from({ length: 30 }, (_, i) => `user${i}@example.org`);
      await Promise.all(
        owners.flatMap((owner, o) =>
          Array.from({ length: 250 }, (_, i) => archive.append(owner, message(T0 + o + i, BOB))),
        ),
      );
      expect(await archive.count(owners[3]!, {})).toBe(250);
      expect(await archive.deleteOlderThan(T0 + 100)).toBe(
        owners.reduce((n, _, o) => n + Math.max(0, 100 - o), 0),
      );
      expect(await archive.count(owners[0]!, {})).toBe(150);
      expect(await archive.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(
        7_500 - owners.reduce((n, _, o) => n + Math.max(0, 100 - o), 0),
      );
      for (const owner of owners.slice(0, 3)) expect(await archive.count(owner, {})).toBe(0);
    });

    it('stores preferences per archive and replaces them whole', async () => {
      const { archive } = stores();
      const prefs = { default: 'roster' as const, always: [BOB, CAROL], never: ['spam.example'] };
      await archive.setPrefs(ALICE, prefs);
      expect(await archive.getPrefs(ALICE)).toStrictEqual(prefs);
      expect(await archive.getPrefs(`${ALICE}.uk`)).toBeUndefined();
      const next = { default: 'never' as const, always: [], never: [] };
      await archive.setPrefs(ALICE, next);
      expect(await archive.getPrefs(ALICE)).toStrictEqual(next);
      // deleteAll removes the whole archive, preferences included.
      await archive.deleteAll(ALICE);
      expect(await archive.getPrefs(ALICE)).toBeUndefined();
    });

    it('hands out copies that callers cannot use to change stored data', async () => {
      const { archive } = stores();
      const msg = message(T0, BOB, { withResource: 'phone' });
      const original = { ...msg };
      await archive.append(ALICE, msg);
      msg.xml = 'mutated after append';
      const got = await archive.get(ALICE, msg.id);
      got!.xml = 'mutated after get';
      const page = await archive.query(ALICE, { limit: 1 });
      page.items[0]!.with = 'mallory@example.org';
      page.items.pop();
      expect(await archive.get(ALICE, msg.id)).toStrictEqual(original);
      const prefs = { default: 'always' as const, always: [BOB], never: [] };
      await archive.setPrefs(ALICE, prefs);
      prefs.always.push('mallory@example.org');
      (await archive.getPrefs(ALICE))!.never.push('x@example.org');
      expect(await archive.getPrefs(ALICE)).toStrictEqual({
        default: 'always',
        always: [BOB],
        never: [],
      });
    });

    it('rejects invalid arguments and changes nothing', async () => {
      const { archive } = stores();
      const msg = message(T0, BOB);
      await expectStoreError(archive.append('', msg), 'invalid-argument');
      await expectStoreError(archive.append(ALICE, { ...msg, id: '' }), 'invalid-argument');
      await expectStoreError(archive.append(ALICE, { ...msg, ts: NaN }), 'invalid-argument');
      await expectStoreError(archive.append(ALICE, { ...msg, with: '' }), 'invalid-argument');
      expect(await archive.count(ALICE, {})).toBe(0);
      await expectStoreError(archive.query('', { limit: 1 }), 'invalid-argument');
      await expectStoreError(archive.query(ALICE, { limit: -1 }), 'invalid-argument');
      await expectStoreError(archive.query(ALICE, { limit: 1.5 }), 'invalid-argument');
      await expectStoreError(archive.query(ALICE, { limit: 1, start: NaN }), 'invalid-argument');
      await expectStoreError(archive.count(ALICE, { end: Infinity }), 'invalid-argument');
      await expectStoreError(archive.get(ALICE, ''), 'invalid-argument');
      await expectStoreError(archive.deleteAll(''), 'invalid-argument');
      await expectStoreError(archive.deleteOlderThan(NaN), 'invalid-argument');
      await expectStoreError(
        archive.setPrefs(ALICE, { default: 'sometimes' as 'always', always: [], never: [] }),
        'invalid-argument',
      );
      expect(await archive.getPrefs(ALICE)).toBeUndefined();
    });
  });
}
