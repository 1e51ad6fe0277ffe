import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFiles } from './local-files.js';
import { newSlotId } from './names.js';

const USER = 'U'.repeat(20);
const key = (filename = 'note.txt', user = USER) => ({ user, slot: newSlotId(), filename });
const body = (s: string) => Readable.from([Buffer.from(s)]);

describe('local upload files', () => {
  let dir: string;
  let files: LocalFiles;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-upload-'));
    files = new LocalFiles(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores exactly the announced bytes once, and reads them back with their type', async () => {
    const k = key();
    expect(await files.write(k, 5, 'text/plain', body('hello'), 1000)).toBe('created');
    expect(await files.write(k, 5, 'text/plain', body('hello'))).toBe('exists');
    const got = await files.open(k);
    expect(got?.meta).toEqual({
      filename: 'note.txt',
      contentType: 'text/plain',
      size: 5,
      createdAt: 1000,
    });
    expect(await text(got!.body)).toBe('hello');
    expect(await files.open({ ...k, filename: 'other.txt' })).toBeUndefined();
    expect(await files.open(key())).toBeUndefined();
    expect((await files.files(USER)).map((f) => [f.slot, f.size])).toEqual([[k.slot, 5]]);
  });

  it('keeps nothing of a body shorter or longer than announced', async () => {
    const k = key();
    expect(await files.write(k, 6, 'text/plain', body('hello'))).toBe('too-short');
    expect(await files.write(k, 4, 'text/plain', body('hello'))).toBe('too-long');
    expect(await readdir(join(dir, USER, k.slot))).toEqual([]);
    expect(await files.files(USER)).toEqual([]);
  });

  it('purges old uploads, a bounded number of slots per run', async () => {
    const users = ['A', 'B', 'C'].map((c) => c.repeat(20));
    for (const user of users) {
      for (let i = 0; i < 2; i++) {
        const k = key('f.bin', user);
        await files.write(k, 1, 'application/octet-stream', body('x'));
        const old = new Date(Date.now() - 10 * 86_400_000);
        if (i === 0) await utimes(join(dir, user, k.slot, 'data'), old, old);
      }
    }
    const before = Date.now() - 86_400_000;
    const first = await files.purge(before, 2);
    expect(first).toEqual({ deleted: 1, examined: 2 });
    const second = await files.purge(before, 2);
    const third = await files.purge(before, 2);
    expect(first.deleted + second.deleted + third.deleted).toBe(3);
    for (const user of users) expect(await files.files(user)).toHaveLength(1);
  });
});
