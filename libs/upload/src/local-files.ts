/**
 * The `local` storage: one directory per slot, `<dir>/<user>/<slot>/`,
 * holding `data` (the file) and `meta.json` (file name, content type,
 * size, upload time). A PUT streams into `data.part`, opened exclusively so
 * two PUTs of one slot cannot both write, and is renamed to `data` only
 * once exactly the announced number of bytes arrived.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { ReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StoredFile } from './backend.js';
import { UploadStorageError } from './backend.js';
import type { ObjectKey } from './names.js';

export interface FileMeta {
  filename: string;
  contentType: string;
  size: number;
  createdAt: number;
}

export type WriteResult = 'created' | 'exists' | 'too-short' | 'too-long';

/** The body was longer than announced. */
class TooLong extends Error {
  override readonly name = 'TooLong';
}

/** Counts bytes and fails as soon as more than `limit` pass. */
function limiter(limit: number): Transform & { seen: () => number } {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new TooLong());
      else done(null, chunk);
    },
  });
  return Object.assign(t, { seen: () => seen });
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

export class LocalFiles {
  /** User directory the next purge run starts after (bounded work per run). */
  private purgeCursor = '';

  constructor(readonly dir: string) {}

  private slotDir(k: Pick<ObjectKey, 'user' | 'slot'>): string {
    return join(this.dir, k.user, k.slot);
  }

  /** Stores `body`, which must be exactly `size` bytes, under `key`. */
  async write(
    key: ObjectKey,
    size: number,
    contentType: string,
    body: Readable,
    now = Date.now(),
  ): Promise<WriteResult> {
    const dir = this.slotDir(key);
    await mkdir(dir, { recursive: true });
    const data = join(dir, 'data');
    if (await exists(data)) return 'exists';
    const part = join(dir, 'data.part');
    let out;
    try {
      out = createWriteStream(part, { flags: 'wx' });
      await new Promise<void>((resolve, reject) => {
        out!.once('open', () => resolve());
        out!.once('error', reject);
      });
    } catch (err) {
      if (isCode(err, 'EEXIST')) return 'exists';
      throw new UploadStorageError(`cannot create ${part}`, { cause: err });
    }
    const count = limiter(size);
    try {
      await pipeline(body, count, out);
    } catch (err) {
      await rm(part, { force: true });
      if (err instanceof TooLong) return 'too-long';
      throw err;
    }
    if (count.seen() !== size) {
      await rm(part, { force: true });
      return 'too-short';
    }
    const meta: FileMeta = { filename: key.filename, contentType, size, createdAt: now };
    await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
    await rename(part, data);
    return 'created';
  }

  /** The stored file at `key` (its name must match), opened for reading; undefined if none. */
  async open(key: ObjectKey): Promise<{ meta: FileMeta; body: ReadStream } | undefined> {
    const dir = this.slotDir(key);
    let meta: FileMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as FileMeta;
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw new UploadStorageError(`cannot read ${dir}/meta.json`, { cause: err });
    }
    if (meta.filename !== key.filename) return undefined;
    const body = createReadStream(join(dir, 'data'));
    try {
      await new Promise<void>((resolve, reject) => {
        body.once('open', () => resolve());
        body.once('error', reject);
      });
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw new UploadStorageError(`cannot open ${dir}/data`, { cause: err });
    }
    return { meta, body };
  }

  /** The completed uploads of `user`. */
  async files(user: string): Promise<StoredFile[]> {
    let slots: string[];
    try {
      slots = await readdir(join(this.dir, user));
    } catch (err) {
      if (isCode(err, 'ENOENT')) return [];
      throw new UploadStorageError(`cannot list ${join(this.dir, user)}`, { cause: err });
    }
    const out: StoredFile[] = [];
    for (const slot of slots) {
      try {
        const st = await stat(join(this.dir, user, slot, 'data'));
        out.push({ slot, size: st.size, createdAt: st.mtimeMs });
      } catch (err) {
        if (!isCode(err, 'ENOENT'))
          throw new UploadStorageError(`cannot stat ${slot}`, { cause: err });
      }
    }
    return out;
  }

  /**
   * Deletes uploads finished before `before` and abandoned partial uploads
   * (no `data`, older than `before` too), looking at `maxSlots` slots at
   * most; the next run goes on where this one stopped. Returns how many
   * slots were deleted.
   */
  async purge(before: number, maxSlots: number): Promise<{ deleted: number; examined: number }> {
    let users: string[];
    try {
      users = (await readdir(this.dir)).sort();
    } catch (err) {
      if (isCode(err, 'ENOENT')) return { deleted: 0, examined: 0 };
      throw new UploadStorageError(`cannot list ${this.dir}`, { cause: err });
    }
    let start = users.findIndex((u) => u > this.purgeCursor);
    if (start < 0) start = 0;
    let deleted = 0;
    let examined = 0;
    for (let i = start; i < users.length; i++) {
      const user = users[i]!;
      const userDir = join(this.dir, user);
      let slots: string[] = [];
      try {
        slots = await readdir(userDir);
      } catch (err) {
        if (!isCode(err, 'ENOENT') && !isCode(err, 'ENOTDIR')) throw err;
      }
      let left = slots.length;
      for (const slot of slots) {
        examined++;
        const dir = join(userDir, slot);
        const st = await stat(join(dir, 'data')).catch(() => stat(dir).catch(() => undefined));
        if (st !== undefined && st.mtimeMs < before) {
          await rm(dir, { recursive: true, force: true });
          deleted++;
          left--;
        }
      }
      // rmdir, not rm -r: a PUT may have just made a new slot directory here.
      if (left === 0) await rmdir(userDir).catch(() => undefined);
      this.purgeCursor = i === users.length - 1 ? '' : user;
      if (examined >= maxSlots) break;
    }
    return { deleted, examined };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
