import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreContractSuite } from './contract-suite.js';
import type { Account, Stores } from '../src/index.js';
import { StoreError, newArchiveId, openLmdbStores } from '../src/index.js';

const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  dirs.push(dir);
  return dir;
}

async function removeDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

runStoreContractSuite('lmdb', async () => openLmdbStores(await freshDir()), removeDirs);

function account(jid: string): Account {
  const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a2V5', serverKey: 'c2Vy' };
  return { jid, credentials: { 'SCRAM-SHA-1': cred, 'SCRAM-SHA-256': cred }, createdAt: 1 };
}

describe('LMDB backend', () => {
  const open: Stores[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await removeDirs();
  });

  async function openAt(path: string): Promise<Stores> {
    const stores = await openLmdbStores(path);
    open.push(stores);
    return stores;
  }

  it('finds all data again after close and reopen, and continues counters', async () => {
    const path = await freshDir();
    const first = await openAt(path);
    await first.accounts.createMany([account('a@x.org'), account('b@x.org'), account('c@y.org')]);
    const version = await first.rosters.setItem('a@x.org', {
      jid: 'b@x.org',
      name: 'Bee',
      subscription: 'both',
      groups: ['G'],
      listed: true,
    });
    const pushed = await first.offline.push('a@x.org', '<m/>', 1234, 10);
    await first.lastActivity.set('a@x.org', { ts: 99, status: 'away' });
    await first.blocklists.add('a@x.org', ['spam.example', 'c@y.org/phone']);
    await first.close();

    const second = await openAt(path);
    expect(await second.accounts.count()).toBe(3);
    expect(await second.accounts.count('x.org')).toBe(2);
    expect((await second.accounts.list({ domain: 'y.org' })).items).toStrictEqual([
      account('c@y.org'),
    ]);
    expect(await second.rosters.get('a@x.org')).toStrictEqual({
      version,
      items: [{ jid: 'b@x.org', name: 'Bee', subscription: 'both', groups: ['G'], listed: true }],
    });
    expect(await second.offline.list('a@x.org')).toStrictEqual([pushed]);
    expect(await second.lastActivity.get('a@x.org')).toStrictEqual({ ts: 99, status: 'away' });
    expect(await second.blocklists.get('a@x.org')).toStrictEqual(['c@y.org/phone', 'spam.example']);

    const nextVersion = await second.rosters.removeItem('a@x.org', 'b@x.org');
    expect(Number(nextVersion)).toBeGreaterThan(Number(version));
    await second.offline.deleteAll('a@x.org');
    const nextMessage = await second.offline.push('a@x.org', '<m/>', 1235, 10);
    expect(nextMessage!.id > pushed!.id).toBe(true);
  });

  it('finds archives, rooms, pubsub nodes, vCards and private XML again after reopen', async () => {
    const path = await freshDir();
    const first = await openAt(path);
    const t0 = 1_700_000_000_000;
    const msgs = [0, 1, 2].map((i) => ({
      id: newArchiveId(t0 + i * 1000),
      ts: t0 + i * 1000,
      with: 'b@x.org',
      xml: `<m>${i}</m>`,
    }));
    for (const m of msgs) await first.archive.append('a@x.org', m);
    // An id that does not encode its time: time queries must still find it after reopen.
    const odd = { id: 'zz-odd', ts: t0 + 500, with: 'c@x.org', withResource: 'r', xml: '<m/>' };
    await first.archive.append('a@x.org', odd);
    await first.archive.setPrefs('a@x.org', { default: 'roster', always: ['b@x.org'], never: [] });
    const room = { jid: 'r@muc.x.org', createdAt: 5, config: { 'muc#roomconfig_roomname': 'R' } };
    await first.rooms.put(room);
    await first.rooms.setAffiliation(room.jid, { jid: 'a@x.org', affiliation: 'owner' });
    const node = { service: 'a@x.org', node: 'urn:n', config: { max_items: '2' }, createdAt: 7 };
    await first.pubsub.createNode(node);
    const item = (id: string) => ({ id, publisher: 'a@x.org/r', ts: 9, payload: `<p>${id}</p>` });
    await first.pubsub.publish('a@x.org', 'urn:n', item('i1'), 2);
    await first.pubsub.publish('a@x.org', 'urn:n', item('i2'), 2);
    await first.pubsub.setSubscription('a@x.org', 'urn:n', {
      jid: 'b@x.org',
      subid: 's',
      state: 'subscribed',
    });
    await first.pubsub.setAffiliation('a@x.org', 'urn:n', 'b@x.org', 'member');
    await first.vcards.set('a@x.org', '<vCard/>');
    await first.privateXml.set('a@x.org', 'storage', 'storage:bookmarks', '<storage/>');
    await first.close();

    const second = await openAt(path);
    expect(await second.archive.query('a@x.org', { limit: 10 })).toStrictEqual({
      items: [...msgs, odd],
      complete: true,
    });
    expect(await second.archive.count('a@x.org', {})).toBe(4);
    expect(
      (await second.archive.query('a@x.org', { limit: 10, start: t0 + 400, end: t0 + 1000 })).items,
    ).toStrictEqual([msgs[1], odd]);
    expect(await second.archive.append('a@x.org', msgs[0]!)).toBe(false);
    expect(await second.archive.getPrefs('a@x.org')).toStrictEqual({
      default: 'roster',
      always: ['b@x.org'],
      never: [],
    });
    expect(await second.rooms.get(room.jid)).toStrictEqual(room);
    expect(await second.rooms.affiliations(room.jid)).toStrictEqual([
      { jid: 'a@x.org', affiliation: 'owner' },
    ]);
    expect((await second.rooms.list({ domain: 'muc.x.org' })).items).toStrictEqual([room]);
    expect(await second.pubsub.getNode('a@x.org', 'urn:n')).toStrictEqual(node);
    expect(await second.pubsub.items('a@x.org', 'urn:n')).toStrictEqual({
      items: [item('i2'), item('i1')],
      count: 2,
    });
    // Publication order continues where it was: a new item is the newest and trims the oldest.
    expect(await second.pubsub.publish('a@x.org', 'urn:n', item('i3'), 2)).toEqual(['i1']);
    expect(await second.pubsub.publish('a@x.org', 'urn:n', item('i2'), 2)).toEqual([]);
    expect((await second.pubsub.items('a@x.org', 'urn:n')).items.map((i) => i.id)).toEqual([
      'i2',
      'i3',
    ]);
    expect(await second.pubsub.subscriptionsOf('a@x.org', 'b@x.org')).toStrictEqual([
      { jid: 'b@x.org', subid: 's', state: 'subscribed', node: 'urn:n' },
    ]);
    expect(await second.pubsub.affiliations('a@x.org', 'urn:n')).toStrictEqual([
      { jid: 'b@x.org', affiliation: 'member' },
    ]);
    expect(await second.vcards.get('a@x.org')).toBe('<vCard/>');
    expect(await second.privateXml.get('a@x.org', 'storage', 'storage:bookmarks')).toBe(
      '<storage/>',
    );
  });

  it('pages and deletes a large archive', async () => {
    const stores = await openAt(await freshDir());
    const t0 = 1_700_000_000_000;
    const n = 12_000;
    const all = Array.from({ length: n }, (_, i) => ({
      id: newArchiveId(t0 + i * 10),
      ts: t0 + i * 10,
      with: i % 2 ? 'b@x.org' : 'c@x.org',
      xml: '<m/>',
    }));
    const other = all.slice(0, 3000);
    await Promise.all([
      ...all.map((m) => stores.archive.append('a@x.org', m)),
      ...other.map((m) => stores.archive.append('a@x.org.uk', m)),
    ]);
    expect(await stores.archive.count('a@x.org', {})).toBe(n);
    const range = await stores.archive.query('a@x.org', {
      limit: 50,
      start: t0 + 50_000,
      end: t0 + 50_990,
      with: 'b@x.org',
    });
    expect(range.items).toStrictEqual(all.slice(5000, 5100).filter((m) => m.with === 'b@x.org'));
    expect(range.complete).toBe(true);
    const newest = await stores.archive.query('a@x.org', { limit: 3, fromEnd: true });
    expect(newest).toStrictEqual({ items: all.slice(-3), complete: false });
    await stores.archive.setPrefs('a@x.org', { default: 'always', always: [], never: [] });
    expect(await stores.archive.deleteAll('a@x.org')).toBe(n);
    expect(await stores.archive.count('a@x.org', {})).toBe(0);
    expect(await stores.archive.query('a@x.org', { limit: 1 })).toStrictEqual({
      items: [],
      complete: true,
    });
    expect(await stores.archive.getPrefs('a@x.org')).toBeUndefined();
    expect(await stores.archive.count('a@x.org.uk', {})).toBe(3000);
    expect(await stores.archive.deleteOlderThan(Number.MAX_SAFE_INTEGER)).toBe(3000);
  });

  it('imports 20,000 accounts in one quick batch', async () => {
    const stores = await openAt(await freshDir());
    const batch = Array.from({ length: 20_000 }, (_, i) => account(`user${i}@d${i % 4}.example`));
    const started = performance.now();
    expect(await stores.accounts.createMany(batch)).toBe(20_000);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(3_000);
    expect(await stores.accounts.count()).toBe(20_000);
    expect(await stores.accounts.count('d1.example')).toBe(5_000);
    const page = await stores.accounts.list({ domain: 'd3.example', limit: 3 });
    expect(page.items.map((a) => a.jid)).toEqual([
      'user10003@d3.example',
      'user10007@d3.example',
      'user10011@d3.example',
    ]);
  });

  it('keeps every acknowledged write when the process is killed', async () => {
    const path = await freshDir();
    const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    const acked = out.split('\n').filter((line) => line.startsWith('acked '));
    expect(acked).toHaveLength(20);

    const stores = await openAt(path);
    const messages = await stores.offline.list('alice@example.org');
    expect(messages.map((m) => `acked ${m.id}`)).toEqual(acked);
    const roster = await stores.rosters.get('alice@example.org');
    expect(roster.items).toHaveLength(20);
    expect(roster.version).toBe('20');
  });

  it('reports an unusable path as a StoreError with the cause', async () => {
    const file = join(await freshDir(), 'not-a-directory');
    await writeFile(file, 'plain file');
    const err = await openLmdbStores(join(file, 'db')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('backend');
    expect((err as StoreError).cause).toBeInstanceOf(Error);
  });

  it('rejects keys too large for LMDB as invalid-argument', async () => {
    const stores = await openAt(await freshDir());
    const huge = `${'x'.repeat(3000)}@example.org`;
    const err = await stores.accounts.create(account(huge)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('invalid-argument');
    expect(await stores.accounts.count()).toBe(0);
  });
});
