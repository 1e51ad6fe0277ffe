import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreContractSuite } from '../src/contract-suite.js';
import type { Account, Stores } from '../src/index.js';
import { StoreError, openLmdbStores } from '../src/index.js';

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
