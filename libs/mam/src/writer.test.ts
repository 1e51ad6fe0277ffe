import { describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { archiveIdTime, openMemoryStores } from '@parley/store';
import {
  ArchiveWriter,
  LruTailCache,
  archiveTag,
  dedupeKey,
  idTime,
  nextArchiveId,
} from './writer.js';

const ROMEO = parseJID('romeo@montague.lit/orchard');
const msg = (n: number) => `<message type='chat'><body>${n}</body></message>`;

describe('archive ids', () => {
  it('have the store shape: 18 characters, time first, sorting by time', () => {
    const a = nextArchiveId(undefined, 1_700_000_000_000, 'abcdef');
    expect(a).toHaveLength(18);
    expect(a.endsWith('abcdef')).toBe(true);
    expect(archiveIdTime(a)).toBe(1_700_000_000_000);
    expect(idTime(a)).toBe(1_700_000_000_000);
    const b = nextArchiveId(a, 1_700_000_000_001, '000000');
    expect(b > a).toBe(true);
  });

  it('sort after the previous id even when the clock is behind or equal', () => {
    let prev = nextArchiveId(undefined, 5000, 'zzzzzz');
    for (const now of [5000, 4000, 5000, 1]) {
      const id = nextArchiveId(prev, now, '000000');
      expect(id > prev).toBe(true);
      expect(idTime(id)).toBe(5000);
      prev = id;
    }
  });

  it('move to the next millisecond when the sequence runs out', () => {
    const last = (1000).toString(36).padStart(9, '0') + 'zzz' + 'aaaaaa';
    const next = nextArchiveId(last, 0, 'bbbbbb');
    expect(idTime(next)).toBe(1001);
    expect(next > last).toBe(true);
  });

  it('tags depend on archive and key', () => {
    expect(archiveTag('a@b', 'k')).toMatch(/^[0-9a-z]{6}$/);
    expect(archiveTag('a@b', 'k')).not.toBe(archiveTag('c@d', 'k'));
    expect(archiveTag('a@b', 'k')).not.toBe(archiveTag('a@b', 'k2'));
  });

  // Known answers, captured from the release that introduced the tags: a message archived
  // before an upgrade and redelivered after it must get the same tag, or it is archived
  // twice. These must never change.
  it.each([
    ['', '', '1efc4f'],
    ['a@b', 'k', 'y5xgnb'],
    ['alice@example.org', 'c\nalice@example.org/phone\nconn-1\n1234.5', 'gzv1se'],
    [
      'jürgen@münchen.de',
      's\nbob@example.org\njürgen@münchen.de\nm1\nchat\nGrüß dich 🦜',
      'kh15p9',
    ],
    ['room@conference.example.org', '', 'gp48m4'],
  ])('tags archive %j, key %j as %j (known answer)', (archive, key, tag) => {
    expect(archiveTag(archive, key)).toBe(tag);
  });

  it('dedupe keys identify client stanzas by connection and receive time', () => {
    const a = dedupeKey({ from: 'r@m/o', conn: 'c1', ts: 1.5, to: 'j@c', id: 'x' });
    expect(a).toBe(dedupeKey({ from: 'r@m/o', conn: 'c1', ts: 1.5, to: 'j@c/b', id: 'y' }));
    expect(a).not.toBe(dedupeKey({ from: 'r@m/o', conn: 'c1', ts: 1.6 }));
    expect(dedupeKey({ from: 's', to: 't', id: 'i', type: 'chat' }, 'b')).not.toBe(
      dedupeKey({ from: 's', to: 't', id: 'i', type: 'chat' }, 'c'),
    );
  });
});

describe('ArchiveWriter', () => {
  it('appends in order with increasing ids and ts equal to the id time', async () => {
    const store = openMemoryStores().archive;
    const w = new ArchiveWriter(store);
    const out = [];
    for (let i = 0; i < 10; i++)
      out.push(await w.append('j@c', { key: `k${i}`, peer: ROMEO, message: msg(i), now: 1000 }));
    for (let i = 1; i < out.length; i++) expect(out[i]!.id > out[i - 1]!.id).toBe(true);
    const page = await store.query('j@c', { limit: 100 });
    expect(page.items.map((m) => m.id)).toEqual(out.map((o) => o.id));
    for (const m of page.items) expect(m.ts).toBe(archiveIdTime(m.id));
    expect(page.items[0]).toMatchObject({ with: 'romeo@montague.lit', withResource: 'orchard' });
  });

  it('archives a message handled twice once, under the same id', async () => {
    const store = openMemoryStores().archive;
    const w = new ArchiveWriter(store);
    const first = await w.append('j@c', { key: 'k', peer: ROMEO, message: msg(1) });
    const again = await w.append('j@c', { key: 'k', peer: ROMEO, message: msg(1) });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.count('j@c', {})).toBe(1);
  });

  it('recognizes a redelivery after a restart (a new writer on the same store)', async () => {
    const store = openMemoryStores().archive;
    const before = new ArchiveWriter(store);
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push((await before.append('j@c', { key: `k${i}`, peer: ROMEO, message: msg(i) })).id);
    // The new owner's clock is far behind: ids must still grow.
    const after = new ArchiveWriter(store, new LruTailCache());
    const redelivered = await after.append('j@c', {
      key: 'k3',
      peer: ROMEO,
      message: msg(3),
      now: 1,
    });
    expect(redelivered).toMatchObject({ id: ids[3], duplicate: true });
    const fresh = await after.append('j@c', { key: 'k5', peer: ROMEO, message: msg(5), now: 1 });
    expect(fresh.duplicate).toBe(false);
    expect(fresh.id > ids[4]!).toBe(true);
    expect(await store.count('j@c', {})).toBe(6);
  });

  it('checks only the newest entries (the window)', async () => {
    const store = openMemoryStores().archive;
    const w = new ArchiveWriter(store, new LruTailCache(), 3);
    for (let i = 0; i < 5; i++)
      await w.append('j@c', { key: `k${i}`, peer: ROMEO, message: msg(i) });
    expect((await w.append('j@c', { key: 'k4', peer: ROMEO, message: msg(4) })).duplicate).toBe(
      true,
    );
    expect((await w.append('j@c', { key: 'k0', peer: ROMEO, message: msg(0) })).duplicate).toBe(
      false,
    );
  });

  it('runs concurrent appends to one archive one after another', async () => {
    const store = openMemoryStores().archive;
    const w = new ArchiveWriter(store);
    const all = await Promise.all(
      [...Array(20).keys()].map((i) =>
        w.append('j@c', { key: `k${i % 10}`, peer: ROMEO, message: msg(i % 10) }),
      ),
    );
    expect(all.filter((a) => !a.duplicate)).toHaveLength(10);
    expect(await store.count('j@c', {})).toBe(10);
    expect(all.slice(10).map((a) => a.id)).toEqual(all.slice(0, 10).map((a) => a.id));
  });

  it('keeps archives apart', async () => {
    const store = openMemoryStores().archive;
    const w = new ArchiveWriter(store);
    await w.append('a@x', { key: 'k', peer: ROMEO, message: msg(1) });
    expect((await w.append('b@x', { key: 'k', peer: ROMEO, message: msg(1) })).duplicate).toBe(
      false,
    );
  });
});
