import type {
  ArchivedMessage,
  ArchivePage,
  ArchivePrefs,
  ArchiveQuery,
  ArchiveStore,
} from '../contracts.js';
import { archiveIdTime } from '../shared/archive-id.js';
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
import { compareCodePoints } from '../shared/jid-order.js';
import { checkJid, checkKeep, checkTimestamp } from '../shared/validate.js';
import type { CqlSession, Row } from './session.js';
import {
  ARCHIVE_BUCKET_MS,
  bucketEnd,
  bucketOf,
  bucketStart,
  mapLimit,
  requireString,
  toNumber,
} from './util.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Ids newArchiveId makes: 18 characters of [0-9a-z], whose first 9 encode the time. */
const TIMED_ID = /^[0-9a-z]{18}$/;

/**
 * Whether a message's id encodes its own time in a way that sorts like the
 * time (so time bounds can become id bounds, and id bounds bucket bounds).
 */
export function isTimed(msg: ArchivedMessage): boolean {
  return msg.ts >= 0 && TIMED_ID.test(msg.id) && idMatchesTime(msg);
}

/** The time a timed-format id encodes, or undefined. */
export function timedIdTime(id: string | undefined): number | undefined {
  return id !== undefined && TIMED_ID.test(id) ? archiveIdTime(id) : undefined;
}

/** Which side of the table a scan reads. */
interface Source {
  /** Partition key columns before `bucket`. */
  key: string[];
  registry: string;
  table: string;
}

/**
 * The statement reading one bucket of an archive (or of one correspondent
 * of it) as a slice of the id clustering order, from `id >= low` (every id
 * is >= '') up to an optional `id <= high`.
 */
export function sliceQuery(
  table: string,
  key: readonly string[],
  opts: { high: boolean; desc: boolean; xml: boolean },
): string {
  const columns = `id, ts, with_jid, with_resource${opts.xml ? ', xml' : ''}`;
  const where = [...key, 'bucket'].map((c) => `${c} = ?`).join(' AND ');
  return (
    `SELECT ${columns} FROM ${table} WHERE ${where} AND id >= ?` +
    (opts.high ? ' AND id <= ?' : '') +
    ` ORDER BY id ${opts.desc ? 'DESC' : 'ASC'}`
  );
}

/**
 * Tables (see README "Cassandra"):
 *
 * - `archive_messages ((archive, bucket), id)`: the archive, cut into
 *   30-day buckets of `ts` and clustered by id. A page is a slice of one
 *   bucket after another, newest or oldest bucket first, and the walk stops
 *   as soon as the page (plus one row, to know whether it is complete) is
 *   full.
 * - `archive_by_with ((archive, with_jid, bucket), id)`: the same rows per
 *   correspondent, for `with` queries.
 * - `archive_buckets ((archive), bucket)` and `archive_with_buckets
 *   ((archive, with_jid), bucket)`: which buckets hold rows, so a walk
 *   reads only those. `untimed` marks a bucket holding an id that does not
 *   encode its own time (see isTimed): only in the other buckets are time
 *   bounds turned into id bounds, and id bounds into bucket bounds.
 * - `archive_ids ((archive, id))`: id -> bucket, for `get`, the `ids`
 *   filter and duplicate detection.
 * - `archive_expiry ((bucket), archive)` and `archive_expiry_buckets
 *   ((shard), bucket)`: which archives have rows in a bucket, for
 *   `deleteOlderThan` across archives.
 * - `archive_prefs (archive PRIMARY KEY)`.
 *
 * Ordering: rows sort by (bucket, id). That equals id order as long as ids
 * grow with `ts` across bucket boundaries, which holds for newArchiveId(ts).
 *
 * `append` claims the id with `INSERT INTO archive_ids ... IF NOT EXISTS`, a
 * lightweight transaction on a partition of its own (one per message, so
 * appends never contend with each other), then writes the rows and index
 * entries. Of concurrent appends of one id exactly one returns true, and a
 * later one never replaces anything. If the claiming append died before
 * its rows were written, a redelivery of the same message (same bucket and
 * correspondent) finds the claim without a row and writes the rows. The
 * price is one Paxos round per archived message; a plain read-before-write
 * would save it but let concurrent redeliveries both return true.
 */
export class CassandraArchiveStore implements ArchiveStore {
  private readonly main: Source;
  private readonly byWith: Source;
  private readonly q: Record<string, string>;
  private readonly slices = new Map<string, string>();

  constructor(private readonly session: CqlSession) {
    const t = (name: string) => session.table(name);
    this.main = { key: ['archive'], registry: t('archive_buckets'), table: t('archive_messages') };
    this.byWith = {
      key: ['archive', 'with_jid'],
      registry: t('archive_with_buckets'),
      table: t('archive_by_with'),
    };
    const messages = t('archive_messages');
    const byWith = t('archive_by_with');
    const buckets = t('archive_buckets');
    const withBuckets = t('archive_with_buckets');
    const ids = t('archive_ids');
    const expiry = t('archive_expiry');
    const expiryBuckets = t('archive_expiry_buckets');
    const prefs = t('archive_prefs');
    this.q = {
      idLookup: `SELECT bucket, with_jid FROM ${ids} WHERE archive = ? AND id = ?`,
      idClaim: `INSERT INTO ${ids} (archive, id, bucket, with_jid) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
      exists: `SELECT id FROM ${messages} WHERE archive = ? AND bucket = ? AND id = ?`,
      idDelete: `DELETE FROM ${ids} WHERE archive = ? AND id = ?`,
      row: `SELECT id, ts, with_jid, with_resource, xml FROM ${messages} WHERE archive = ? AND bucket = ? AND id = ?`,
      insertMain: `INSERT INTO ${messages} (archive, bucket, id, ts, with_jid, with_resource, xml) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      insertWith: `INSERT INTO ${byWith} (archive, with_jid, bucket, id, ts, with_resource, xml) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      markBucket: `INSERT INTO ${buckets} (archive, bucket) VALUES (?, ?)`,
      markBucketUntimed: `INSERT INTO ${buckets} (archive, bucket, untimed) VALUES (?, ?, true)`,
      markWithBucket: `INSERT INTO ${withBuckets} (archive, with_jid, bucket) VALUES (?, ?, ?)`,
      markWithBucketUntimed: `INSERT INTO ${withBuckets} (archive, with_jid, bucket, untimed) VALUES (?, ?, ?, true)`,
      markExpiry: `INSERT INTO ${expiry} (bucket, archive) VALUES (?, ?)`,
      markExpiryBucket: `INSERT INTO ${expiryBuckets} (shard, bucket) VALUES (0, ?)`,
      bucketRows: `SELECT id, ts, with_jid FROM ${messages} WHERE archive = ? AND bucket = ?`,
      allBuckets: `SELECT bucket FROM ${buckets} WHERE archive = ?`,
      deleteMainRow: `DELETE FROM ${messages} WHERE archive = ? AND bucket = ? AND id = ?`,
      deleteWithRow: `DELETE FROM ${byWith} WHERE archive = ? AND with_jid = ? AND bucket = ? AND id = ?`,
      deleteMainBucket: `DELETE FROM ${messages} WHERE archive = ? AND bucket = ?`,
      deleteWithBucket: `DELETE FROM ${byWith} WHERE archive = ? AND with_jid = ? AND bucket = ?`,
      unmarkBucket: `DELETE FROM ${buckets} WHERE archive = ? AND bucket = ?`,
      unmarkWithBucket: `DELETE FROM ${withBuckets} WHERE archive = ? AND with_jid = ? AND bucket = ?`,
      dropBuckets: `DELETE FROM ${buckets} WHERE archive = ?`,
      dropWithBuckets: `DELETE FROM ${withBuckets} WHERE archive = ? AND with_jid = ?`,
      unmarkExpiry: `DELETE FROM ${expiry} WHERE bucket = ? AND archive = ?`,
      expiryBuckets: `SELECT bucket FROM ${expiryBuckets} WHERE shard = 0 AND bucket <= ?`,
      expiryArchives: `SELECT archive FROM ${expiry} WHERE bucket = ?`,
      dropExpiry: `DELETE FROM ${expiry} WHERE bucket = ?`,
      dropExpiryBucket: `DELETE FROM ${expiryBuckets} WHERE shard = 0 AND bucket = ?`,
      getPrefs: `SELECT default_mode, always_jids, never_jids FROM ${prefs} WHERE archive = ?`,
      setPrefs: `INSERT INTO ${prefs} (archive, default_mode, always_jids, never_jids) VALUES (?, ?, ?, ?)`,
      deletePrefs: `DELETE FROM ${prefs} WHERE archive = ?`,
    };
  }

  async append(archive: string, msg: ArchivedMessage): Promise<boolean> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchivedMessage(msg);
    const op = 'archive.append';
    const bucket = bucketOf(msg.ts, ARCHIVE_BUCKET_MS);
    const { applied } = await this.session.cas(op, this.q.idClaim!, [
      archive,
      msg.id,
      bucket,
      msg.with,
    ]);
    if (applied) {
      await this.writeRows(archive, msg, bucket);
      return true;
    }
    // The id is taken. If its claim names this very message (same bucket and
    // correspondent) but the row is missing, the append that claimed it
    // stopped before writing (a crash) or is still writing: write the same
    // rows, which is idempotent. Nothing is ever replaced by a different
    // message's rows.
    const [claim] = await this.session.read(op, this.q.idLookup!, [archive, msg.id]);
    if (
      claim &&
      toNumber(claim.get('bucket'), 'archive_ids.bucket') === bucket &&
      claim.get('with_jid') === msg.with
    ) {
      const [row] = await this.session.read(op, this.q.exists!, [archive, bucket, msg.id]);
      if (!row) await this.writeRows(archive, msg, bucket);
    }
    return false;
  }

  /** The rows and index entries of one message (all idempotent upserts). */
  private async writeRows(archive: string, msg: ArchivedMessage, bucket: number): Promise<void> {
    const op = 'archive.append';
    const timed = isTimed(msg);
    const resource = msg.withResource ?? null;
    await Promise.all([
      this.session.write(op, this.q.insertMain!, [
        archive,
        bucket,
        msg.id,
        msg.ts,
        msg.with,
        resource,
        msg.xml,
      ]),
      this.session.write(op, this.q.insertWith!, [
        archive,
        msg.with,
        bucket,
        msg.id,
        msg.ts,
        resource,
        msg.xml,
      ]),
      this.session.write(op, timed ? this.q.markBucket! : this.q.markBucketUntimed!, [
        archive,
        bucket,
      ]),
      this.session.write(op, timed ? this.q.markWithBucket! : this.q.markWithBucketUntimed!, [
        archive,
        msg.with,
        bucket,
      ]),
      this.session.write(op, this.q.markExpiry!, [bucket, archive]),
      this.session.write(op, this.q.markExpiryBucket!, [bucket]),
    ]);
  }

  async query(archive: string, q: ArchiveQuery): Promise<ArchivePage> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveQuery(q);
    const fromEnd = q.fromEnd === true;
    const match = archiveMatcher(q);
    if (q.ids !== undefined) {
      return takeArchivePage(await this.byIds(archive, q.ids, fromEnd), match, q.limit, fromEnd);
    }
    // Collect matches in paging order until one more than the page is found.
    const matches: ArchivedMessage[] = [];
    const fetchSize = Math.min(1000, Math.max(16, q.limit + 1));
    for await (const msg of this.scan(archive, q, fromEnd, true, fetchSize)) {
      if (!match(msg)) continue;
      matches.push(msg);
      if (matches.length > q.limit) break;
    }
    return takeArchivePage(matches, () => true, q.limit, fromEnd);
  }

  async get(archive: string, id: string): Promise<ArchivedMessage | undefined> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveId(id);
    return this.lookup(archive, id);
  }

  async count(archive: string, q: ArchiveFilter): Promise<number> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchiveFilter(q);
    const match = archiveMatcher(q);
    if (q.ids !== undefined) return (await this.byIds(archive, q.ids, false)).filter(match).length;
    let n = 0;
    for await (const msg of this.scan(archive, q, false, false, 1000)) if (match(msg)) n++;
    return n;
  }

  async deleteAll(archive: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    const op = 'archive.deleteAll';
    const buckets = (await this.session.readAll(op, this.q.allBuckets!, [archive])).map((row) =>
      toNumber(row.get('bucket'), 'archive_buckets.bucket'),
    );
    const withs = new Set<string>();
    let total = 0;
    for (const bucket of buckets) {
      const rows = await this.session.readAll(op, this.q.bucketRows!, [archive, bucket]);
      total += rows.length;
      const bucketWiths = new Set(
        rows.map((row) => requireString(row.get('with_jid'), 'archive_messages.with_jid')),
      );
      // Secondary entries first, the main rows last: a crash leaves a state
      // that running deleteAll again cleans up.
      await mapLimit(rows, 32, (row) =>
        this.session.write(op, this.q.idDelete!, [archive, row.get('id')]),
      );
      await mapLimit([...bucketWiths], 16, (w) =>
        this.session.write(op, this.q.deleteWithBucket!, [archive, w, bucket]),
      );
      await this.session.write(op, this.q.deleteMainBucket!, [archive, bucket]);
      await this.session.write(op, this.q.unmarkExpiry!, [bucket, archive]);
      for (const w of bucketWiths) withs.add(w);
    }
    await mapLimit([...withs], 16, (w) =>
      this.session.write(op, this.q.dropWithBuckets!, [archive, w]),
    );
    await this.session.write(op, this.q.dropBuckets!, [archive]);
    await this.session.write(op, this.q.deletePrefs!, [archive]);
    return total;
  }

  async deleteOlderThan(ts: number): Promise<number> {
    this.session.life.assertOpen();
    checkTimestamp(ts);
    const op = 'archive.deleteOlderThan';
    const last = bucketOf(ts, ARCHIVE_BUCKET_MS);
    const buckets = (await this.session.readAll(op, this.q.expiryBuckets!, [last]))
      .map((row) => toNumber(row.get('bucket'), 'archive_expiry_buckets.bucket'))
      .filter((bucket) => bucketStart(bucket, ARCHIVE_BUCKET_MS) < ts);
    let total = 0;
    for (const bucket of buckets) {
      const whole = bucketEnd(bucket, ARCHIVE_BUCKET_MS) <= ts;
      const archives = (await this.session.readAll(op, this.q.expiryArchives!, [bucket])).map(
        (row) => requireString(row.get('archive'), 'archive_expiry.archive'),
      );
      const counts = await mapLimit(archives, 8, (archive) =>
        this.expireBucket(archive, bucket, ts, whole),
      );
      total += counts.reduce((a, b) => a + b, 0);
      if (whole) {
        await this.session.write(op, this.q.dropExpiry!, [bucket]);
        await this.session.write(op, this.q.dropExpiryBucket!, [bucket]);
      }
    }
    return total;
  }

  /**
   * Walks the archive's buckets newest first, counting rows (ids only): the
   * first `keep` stay, the rest of the bucket where the count is reached
   * goes row by row, and every older bucket goes whole (rows, index
   * entries, bucket registrations, its expiry mark).
   */
  async trim(archive: string, keep: number): Promise<number> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkKeep(keep);
    const op = 'archive.trim';
    const registry = this.registryQuery(this.main, true);
    const buckets: number[] = [];
    for await (const row of this.session.iterate(op, registry, [archive, INT32_MIN, INT32_MAX]))
      buckets.push(toNumber(row.get('bucket'), 'archive_buckets.bucket'));
    let seen = 0;
    let total = 0;
    for (const bucket of buckets) {
      const rows = await this.session.readAll(op, this.q.bucketRows!, [archive, bucket]);
      const newestFirst = rows.sort((a, b) =>
        compareCodePoints(
          requireString(b.get('id'), 'archive_messages.id'),
          requireString(a.get('id'), 'archive_messages.id'),
        ),
      );
      const kept = Math.max(0, Math.min(keep - seen, newestFirst.length));
      seen += kept;
      const doomed = newestFirst.slice(kept);
      if (doomed.length === 0) continue;
      total += await this.deleteBucketRows(op, archive, bucket, rows, doomed, kept === 0);
      if (kept === 0) await this.session.write(op, this.q.unmarkExpiry!, [bucket, archive]);
    }
    return total;
  }

  async getPrefs(archive: string): Promise<ArchivePrefs | undefined> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    const [row] = await this.session.read('archive.getPrefs', this.q.getPrefs!, [archive]);
    if (!row) return undefined;
    return {
      default: requireString(
        row.get('default_mode'),
        'archive_prefs.default_mode',
      ) as ArchivePrefs['default'],
      always: stringList(row.get('always_jids'), 'archive_prefs.always_jids'),
      never: stringList(row.get('never_jids'), 'archive_prefs.never_jids'),
    };
  }

  async setPrefs(archive: string, prefs: ArchivePrefs): Promise<void> {
    this.session.life.assertOpen();
    checkJid(archive, 'archive');
    checkArchivePrefs(prefs);
    await this.session.write('archive.setPrefs', this.q.setPrefs!, [
      archive,
      prefs.default,
      [...prefs.always],
      [...prefs.never],
    ]);
  }

  /**
   * Messages that may match `filter`, in paging order (descending when
   * `reverse`): the registered buckets in range, each read as an id slice.
   * Callers still apply archiveMatcher; they stop consuming (and so stop
   * the reads) once their page is full.
   */
  private async *scan(
    archive: string,
    filter: ArchiveFilter,
    reverse: boolean,
    xml: boolean,
    fetchSize: number,
  ): AsyncGenerator<ArchivedMessage> {
    const op = 'archive.query';
    const source = filter.with === undefined ? this.main : this.byWith;
    const key = filter.with === undefined ? [archive] : [archive, filter.with];
    const lo = filter.start === undefined ? INT32_MIN : bucketOf(filter.start, ARCHIVE_BUCKET_MS);
    const hi = filter.end === undefined ? INT32_MAX : bucketOf(filter.end, ARCHIVE_BUCKET_MS);
    if (lo > hi) return;
    const afterTime = timedIdTime(filter.afterId);
    const beforeTime = timedIdTime(filter.beforeId);
    const registry = this.registryQuery(source, reverse);
    for await (const row of this.session.iterate(op, registry, [...key, lo, hi])) {
      const bucket = toNumber(row.get('bucket'), 'archive_buckets.bucket');
      const timed = row.get('untimed') !== true;
      if (timed) {
        // Every id here encodes its time: ids beyond afterId/beforeId cannot be
        // in buckets wholly before/after the times those ids encode.
        if (afterTime !== undefined && bucket < bucketOf(afterTime, ARCHIVE_BUCKET_MS)) continue;
        if (beforeTime !== undefined && bucket > bucketOf(beforeTime, ARCHIVE_BUCKET_MS)) continue;
      }
      const { low, high } = archiveSeekBounds(filter, timed);
      const query = this.slice(source, high !== undefined, reverse, xml);
      const params: unknown[] = [...key, bucket, low ?? ''];
      if (high !== undefined) params.push(high);
      for await (const msgRow of this.session.iterate(op, query, params, { fetchSize })) {
        yield decodeMessage(msgRow);
      }
    }
  }

  private registryQuery(source: Source, reverse: boolean): string {
    const where = source.key.map((c) => `${c} = ?`).join(' AND ');
    return (
      `SELECT bucket, untimed FROM ${source.registry} WHERE ${where} AND bucket >= ? AND bucket <= ?` +
      ` ORDER BY bucket ${reverse ? 'DESC' : 'ASC'}`
    );
  }

  private slice(source: Source, high: boolean, desc: boolean, xml: boolean): string {
    const cacheKey = `${source.table}|${high}|${desc}|${xml}`;
    let query = this.slices.get(cacheKey);
    if (query === undefined) {
      query = sliceQuery(source.table, source.key, { high, desc, xml });
      this.slices.set(cacheKey, query);
    }
    return query;
  }

  /** The messages with the given ids, in id order (descending when `reverse`). */
  private async byIds(
    archive: string,
    ids: readonly string[],
    reverse: boolean,
  ): Promise<ArchivedMessage[]> {
    const found = await mapLimit(sortedIds(ids, reverse), 16, (id) => this.lookup(archive, id));
    return found.filter((msg): msg is ArchivedMessage => msg !== undefined);
  }

  private async lookup(archive: string, id: string): Promise<ArchivedMessage | undefined> {
    const op = 'archive.get';
    const [ref] = await this.session.read(op, this.q.idLookup!, [archive, id]);
    if (!ref) return undefined;
    const bucket = toNumber(ref.get('bucket'), 'archive_ids.bucket');
    const [row] = await this.session.read(op, this.q.row!, [archive, bucket, id]);
    return row && decodeMessage(row);
  }

  /** Deletes one archive's rows of one bucket stored before `ts` (all of them when `whole`). */
  private async expireBucket(
    archive: string,
    bucket: number,
    ts: number,
    whole: boolean,
  ): Promise<number> {
    const op = 'archive.deleteOlderThan';
    const rows = await this.session.readAll(op, this.q.bucketRows!, [archive, bucket]);
    const doomed = whole
      ? rows
      : rows.filter((row) => toNumber(row.get('ts'), 'archive_messages.ts') < ts);
    return this.deleteBucketRows(op, archive, bucket, rows, doomed, whole);
  }

  /**
   * Deletes `doomed` (rows of one bucket of an archive) with their index
   * entries; `whole` (every row of the bucket): the bucket's partitions and
   * registrations go instead of single rows.
   */
  private async deleteBucketRows(
    op: string,
    archive: string,
    bucket: number,
    rows: Row[],
    doomed: Row[],
    whole: boolean,
  ): Promise<number> {
    const withOf = (row: Row) => requireString(row.get('with_jid'), 'archive_messages.with_jid');
    await mapLimit(doomed, 32, (row) =>
      this.session.write(op, this.q.idDelete!, [archive, row.get('id')]),
    );
    if (whole) {
      const withs = [...new Set(rows.map(withOf))];
      await mapLimit(withs, 16, async (w) => {
        await this.session.write(op, this.q.deleteWithBucket!, [archive, w, bucket]);
        await this.session.write(op, this.q.unmarkWithBucket!, [archive, w, bucket]);
      });
      await this.session.write(op, this.q.deleteMainBucket!, [archive, bucket]);
      await this.session.write(op, this.q.unmarkBucket!, [archive, bucket]);
    } else {
      await mapLimit(doomed, 32, async (row) => {
        await this.session.write(op, this.q.deleteWithRow!, [
          archive,
          withOf(row),
          bucket,
          row.get('id'),
        ]);
        await this.session.write(op, this.q.deleteMainRow!, [archive, bucket, row.get('id')]);
      });
    }
    return doomed.length;
  }
}

function decodeMessage(row: Row): ArchivedMessage {
  const msg: ArchivedMessage = {
    id: requireString(row.get('id'), 'archive.id'),
    ts: toNumber(row.get('ts'), 'archive.ts'),
    with: requireString(row.get('with_jid'), 'archive.with_jid'),
    // Count scans do not read the stanza.
    xml: (row.get('xml') as unknown as string | null | undefined) ?? '',
  };
  const resource = row.get('with_resource') as unknown;
  if (typeof resource === 'string') msg.withResource = resource;
  return msg;
}

function stringList(value: unknown, what: string): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return [requireString(value, what)];
  return value.map((v) => requireString(v, what));
}
