import type {
  ArchivedMessage,
  ArchivePage,
  ArchivePrefs,
  ArchiveQuery,
  ArchiveStore,
} from '../contracts.js';
import {
  archiveMatcher,
  archiveSeekBounds,
  checkArchiveFilter,
  checkArchiveId,
  checkArchivedMessage,
  checkArchivePrefs,
  checkArchiveQuery,
  idMatchesTime,
  sortedIds,
  takeArchivePage,
  type ArchiveFilter,
} from '../shared/archive-query.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid, checkKeep, checkTimestamp } from '../shared/validate.js';
import type { ArchiveMeta, ArchiveRecord, LmdbEnv, ReadTxn } from './env.js';
import { MAX, asTuple, checkKeySize, fitsKey } from './keys.js';

interface PendingAppend {
  archive: string;
  msg: ArchivedMessage;
  resolve(added: boolean): void;
  reject(err: unknown): void;
}

/** Messages deleted per transaction, so big deletions never hold the write lock for long. */
const DELETE_BATCH = 5_000;

/**
 * archive-messages: [archive, id] -> message without its id. Ids sort in
 * archive order, so one archive is one contiguous range in archive order and
 * id bounds (after/before) are seeks. Time bounds become id bounds too
 * (archiveIdBounds) while every id of the archive encodes its own time;
 * `with` and the exact time bounds are checked on the rows read, which never
 * leaves the archive's range. archive-by-time: [ts, archive, id] -> true for
 * expiry across archives; archive-meta: archive -> { count, mixed };
 * archive-prefs: archive -> prefs.
 */
export class LmdbArchiveStore implements ArchiveStore {
  constructor(private readonly env: LmdbEnv) {}

  /** Appends waiting for the next write; see append. */
  private pending: PendingAppend[] = [];

  /**
   * Appends made in the same turn of the event loop share one write
   * transaction: a busy server archives every message twice (sender and
   * recipient), and one transaction per message would cost more than the
   * routing itself. Each promise still settles only once its message is
   * durable, with its own result.
   */
  async append(archive: string, msg: ArchivedMessage): Promise<boolean> {
    checkArchive(archive);
    checkArchivedMessage(msg);
    checkKeySize(archive, msg.id);
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ archive, msg, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flushAppends());
    });
  }

  private async flushAppends(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const { archiveMessages, archiveByTime, archiveMeta } = this.env.dbs;
    let results: boolean[];
    try {
      results = await this.env.write('archive.append', () =>
        batch.map(({ archive, msg }) => {
          const { id, ...rest } = withoutUndefined(msg);
          const record: ArchiveRecord = rest;
          if (archiveMessages.doesExist([archive, id])) return false;
          void archiveMessages.put([archive, id], record);
          void archiveByTime.put([record.ts, archive, id], true);
          const meta = archiveMeta.get(archive) ?? { count: 0, mixed: false };
          void archiveMeta.put(archive, {
            count: meta.count + 1,
            mixed: meta.mixed || !idMatchesTime(msg),
          });
          return true;
        }),
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  async query(archive: string, q: ArchiveQuery): Promise<ArchivePage> {
    checkArchive(archive);
    checkArchiveQuery(q);
    const fromEnd = q.fromEnd === true;
    return this.env.read('archive.query', (snapshot) =>
      takeArchivePage(
        this.candidates(archive, q, fromEnd, snapshot),
        archiveMatcher(q),
        q.limit,
        fromEnd,
      ),
    );
  }

  async get(archive: string, id: string): Promise<ArchivedMessage | undefined> {
    checkArchive(archive);
    checkArchiveId(id);
    checkKeySize(archive, id);
    return this.env.read('archive.get', (snapshot) => {
      const record = this.env.dbs.archiveMessages.get([archive, id], snapshot);
      return record && { id, ...record };
    });
  }

  async count(archive: string, q: ArchiveFilter): Promise<number> {
    checkArchive(archive);
    checkArchiveFilter(q);
    const unfiltered = Object.values(q).every((v) => v === undefined);
    return this.env.read('archive.count', (snapshot) => {
      if (unfiltered) return this.env.dbs.archiveMeta.get(archive, snapshot)?.count ?? 0;
      const match = archiveMatcher(q);
      let n = 0;
      for (const msg of this.candidates(archive, q, false, snapshot)) if (match(msg)) n++;
      return n;
    });
  }

  async deleteAll(archive: string): Promise<number> {
    checkArchive(archive);
    const { archiveMessages, archiveMeta, archivePrefs } = this.env.dbs;
    let total = 0;
    for (;;) {
      const { scanned, removed } = await this.env.write('archive.deleteAll', () => {
        const range = archiveMessages.getRange({
          start: [archive],
          end: [archive, MAX],
          limit: DELETE_BATCH,
        });
        const found = Array.from(range, ({ key, value }) => ({
          id: asTuple<[string, string]>(key, 'ss', 'archive-messages')[1],
          ts: value.ts,
        }));
        for (const { id, ts } of found) this.removeMessage(archive, id, ts);
        if (found.length < DELETE_BATCH) {
          void archiveMeta.remove(archive);
          void archivePrefs.remove(archive);
        } else {
          this.uncount(archive, found.length);
        }
        return { scanned: found.length, removed: found.length };
      });
      total += removed;
      if (scanned < DELETE_BATCH) return total;
    }
  }

  /** The archive's count is in its metadata: the oldest beyond `keep` go, a batch per transaction. */
  async trim(archive: string, keep: number): Promise<number> {
    checkArchive(archive);
    checkKeep(keep);
    const { archiveMessages, archiveMeta } = this.env.dbs;
    let total = 0;
    for (;;) {
      const removed = await this.env.write('archive.trim', () => {
        const excess = (archiveMeta.get(archive)?.count ?? 0) - keep;
        if (excess <= 0) return 0;
        const range = archiveMessages.getRange({
          start: [archive],
          end: [archive, MAX],
          limit: Math.min(excess, DELETE_BATCH),
        });
        const found = Array.from(range, ({ key, value }) => ({
          id: asTuple<[string, string]>(key, 'ss', 'archive-messages')[1],
          ts: value.ts,
        }));
        for (const { id, ts } of found) this.removeMessage(archive, id, ts);
        this.uncount(archive, found.length);
        return found.length;
      });
      total += removed;
      if (removed < DELETE_BATCH) return total;
    }
  }

  async deleteOlderThan(ts: number): Promise<number> {
    checkTimestamp(ts);
    const { archiveByTime, archiveMessages } = this.env.dbs;
    let total = 0;
    for (;;) {
      const { scanned, removed } = await this.env.write('archive.deleteOlderThan', () => {
        const keys = Array.from(archiveByTime.getKeys({ end: [ts], limit: DELETE_BATCH }));
        const perArchive = new Map<string, number>();
        for (const key of keys) {
          const [msgTs, archive, id] = asTuple<[number, string, string]>(
            key,
            'nss',
            'archive-by-time',
          );
          void archiveByTime.remove(key);
          if (archiveMessages.get([archive, id])?.ts !== msgTs) continue; // stale index entry
          void archiveMessages.remove([archive, id]);
          perArchive.set(archive, (perArchive.get(archive) ?? 0) + 1);
        }
        let n = 0;
        for (const [archive, k] of perArchive) {
          this.uncount(archive, k);
          n += k;
        }
        return { scanned: keys.length, removed: n };
      });
      total += removed;
      if (scanned < DELETE_BATCH) return total;
    }
  }

  async getPrefs(archive: string): Promise<ArchivePrefs | undefined> {
    checkArchive(archive);
    return this.env.read('archive.getPrefs', (snapshot) =>
      this.env.dbs.archivePrefs.get(archive, snapshot),
    );
  }

  async setPrefs(archive: string, prefs: ArchivePrefs): Promise<void> {
    checkArchive(archive);
    checkArchivePrefs(prefs);
    const record = withoutUndefined(prefs);
    await this.env.write('archive.setPrefs', () => {
      void this.env.dbs.archivePrefs.put(archive, record);
    });
  }

  /**
   * Messages that may match, in paging order (descending when `reverse`):
   * the `ids` looked up, or one seek into the archive's range between the
   * query's id bounds (and its time bounds, while ids encode times).
   */
  private *candidates(
    archive: string,
    q: ArchiveFilter,
    reverse: boolean,
    snapshot: { transaction: ReadTxn },
  ): Generator<ArchivedMessage> {
    const { archiveMessages, archiveMeta } = this.env.dbs;
    const meta = archiveMeta.get(archive, snapshot);
    if (!meta) return;
    if (q.ids !== undefined) {
      for (const id of sortedIds(q.ids, reverse)) {
        if (!fitsKey(archive, id)) continue;
        const record = archiveMessages.get([archive, id], snapshot);
        if (record) yield { id, ...record };
      }
      return;
    }
    const { low, high } = archiveSeekBounds(q, !meta.mixed);
    // Bounds are inclusive here; the matcher drops afterId/beforeId themselves.
    const lowKey = low !== undefined && fitsKey(archive, low) ? [archive, low] : [archive];
    const highKey = high !== undefined && fitsKey(archive, high) ? [archive, high] : [archive, MAX];
    const range = archiveMessages.getRange({
      ...snapshot,
      ...(reverse
        ? { start: highKey, end: lowKey, reverse: true, inclusiveEnd: true }
        : { start: lowKey, end: highKey, inclusiveEnd: true }),
    });
    for (const { key, value } of range) {
      const [, id] = asTuple<[string, string]>(key, 'ss', 'archive-messages');
      yield { id, ...value };
    }
  }

  /** Inside a write transaction: deletes one message and its time index entry. */
  private removeMessage(archive: string, id: string, ts: number): void {
    void this.env.dbs.archiveMessages.remove([archive, id]);
    void this.env.dbs.archiveByTime.remove([ts, archive, id]);
  }

  /** Inside a write transaction: lowers the archive's count by `n`, dropping emptied metadata. */
  private uncount(archive: string, n: number): void {
    const { archiveMeta } = this.env.dbs;
    const meta: ArchiveMeta | undefined = archiveMeta.get(archive);
    if (!meta) return;
    if (meta.count - n > 0) void archiveMeta.put(archive, { ...meta, count: meta.count - n });
    else void archiveMeta.remove(archive);
  }
}

function checkArchive(archive: string): void {
  checkJid(archive, 'archive');
  checkKeySize(archive);
}
