import type {
  ArchivedMessage,
  ArchivePage,
  ArchivePrefs,
  ArchiveQuery,
  ArchiveStore,
} from '../contracts.js';
import {
  checkArchiveFilter,
  checkArchiveId,
  checkArchivedMessage,
  checkArchivePrefs,
  checkArchiveQuery,
  archiveSeekBounds,
  idMatchesTime,
  type ArchiveFilter,
} from '../shared/archive-query.js';
import { compareCodePoints } from '../shared/jid-order.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid, checkKeep, checkTimestamp } from '../shared/validate.js';
import type { PgSession } from './session.js';
import { TickBatch } from './tick-batch.js';

interface MessageRow {
  id: string;
  ts: number;
  with_jid: string;
  with_resource: string | null;
  xml: string;
}

const toMessage = (row: MessageRow): ArchivedMessage =>
  withoutUndefined({
    id: row.id,
    ts: row.ts,
    with: row.with_jid,
    withResource: row.with_resource ?? undefined,
    xml: row.xml,
  });

interface Append {
  archive: string;
  msg: ArchivedMessage;
}

/** Rows removed per statement by deleteOlderThan, so expiry never holds one huge transaction. */
const EXPIRY_BATCH = 5000;

/**
 * `archive_messages` keyed (archive, id) plus `archive_prefs`. A page is one
 * statement: the filters become index conditions (see the indexes in
 * deploy/postgres/001_initial.sql), ordered by id from the requested end,
 * with one row more than the page to tell whether it is complete.
 */
export class PostgresArchiveStore implements ArchiveStore {
  private readonly q;
  private readonly messages: string;
  private readonly mixed: string;
  private readonly appends = new TickBatch<Append, boolean>(
    (items) => this.appendMany(items),
    (item) => this.appendOne(item),
  );

  constructor(private readonly db: PgSession) {
    const messages = (this.messages = db.table('archive_messages'));
    const prefs = db.table('archive_prefs');
    const mixed = (this.mixed = db.table('archive_mixed'));
    const append = `INSERT INTO ${messages} (archive, id, ts, with_jid, with_resource, xml)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (archive, id) DO NOTHING`;
    this.q = {
      append,
      appendMany: `WITH m AS (INSERT INTO ${mixed} (archive) SELECT DISTINCT unnest($7::text[])
          ON CONFLICT DO NOTHING)
        INSERT INTO ${messages} (archive, id, ts, with_jid, with_resource, xml)
        SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::text[])
        ON CONFLICT (archive, id) DO NOTHING RETURNING archive, id`,
      appendMixed: `WITH m AS (INSERT INTO ${mixed} (archive) VALUES ($1) ON CONFLICT DO NOTHING)
        ${append}`,
      get: `SELECT id, ts, with_jid, with_resource, xml FROM ${messages} WHERE archive = $1 AND id = $2`,
      deleteAll: `WITH p AS (DELETE FROM ${prefs} WHERE archive = $1),
          m AS (DELETE FROM ${mixed} WHERE archive = $1)
        DELETE FROM ${messages} WHERE archive = $1`,
      expire: `DELETE FROM ${messages} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ${messages} WHERE ts < $1 LIMIT ${EXPIRY_BATCH}))`,
      trimCutoff: `SELECT id FROM ${messages} WHERE archive = $1 ORDER BY id DESC OFFSET $2 LIMIT 1`,
      trim: `DELETE FROM ${messages} WHERE archive = $1 AND id IN (
          SELECT id FROM ${messages} WHERE archive = $1 AND id <= $2 ORDER BY id LIMIT ${EXPIRY_BATCH})`,
      getPrefs: `SELECT prefs FROM ${prefs} WHERE archive = $1`,
      setPrefs: `INSERT INTO ${prefs} (archive, prefs) VALUES ($1, $2)
        ON CONFLICT (archive) DO UPDATE SET prefs = excluded.prefs`,
    };
  }

  async append(archive: string, msg: ArchivedMessage): Promise<boolean> {
    checkJid(archive, 'archive');
    checkArchivedMessage(msg);
    this.db.life.assertOpen();
    return this.appends.add({ archive, msg });
  }

  private async appendOne({ archive, msg }: Append): Promise<boolean> {
    const sql = idMatchesTime(msg) ? this.q.append : this.q.appendMixed;
    const r = await this.db.run('archive.append', (q) =>
      q.query(sql, [archive, msg.id, msg.ts, msg.with, msg.withResource ?? null, msg.xml]),
    );
    return r.rowCount === 1;
  }

  /**
   * One INSERT for the appends of a turn. Of several appends of the same
   * (archive, id), in the batch or elsewhere, exactly one returns true.
   */
  private async appendMany(items: Append[]): Promise<boolean[]> {
    const r = await this.db.run('archive.append', (q) =>
      q.query<{ archive: string; id: string }>(this.q.appendMany, [
        items.map((a) => a.archive),
        items.map((a) => a.msg.id),
        items.map((a) => a.msg.ts),
        items.map((a) => a.msg.with),
        items.map((a) => a.msg.withResource ?? null),
        items.map((a) => a.msg.xml),
        items.filter((a) => !idMatchesTime(a.msg)).map((a) => a.archive),
      ]),
    );
    const inserted = new Set(r.rows.map((row) => JSON.stringify([row.archive, row.id])));
    return items.map((a) => inserted.delete(JSON.stringify([a.archive, a.msg.id])));
  }

  async query(archive: string, q: ArchiveQuery): Promise<ArchivePage> {
    checkJid(archive, 'archive');
    checkArchiveQuery(q);
    const fromEnd = q.fromEnd === true;
    const { text, values } = pageSql(this.messages, this.mixed, archive, q);
    const r = await this.db.run('archive.query', (db) => db.query<MessageRow>(text, values));
    // The two-branch statement (see branches) has no outer ORDER BY.
    const rows = r.rows.sort((a, b) =>
      fromEnd ? compareCodePoints(b.id, a.id) : compareCodePoints(a.id, b.id),
    );
    const complete = rows.length <= q.limit;
    if (!complete) rows.length = q.limit;
    const items = rows.map(toMessage);
    if (fromEnd) items.reverse();
    return { items, complete };
  }

  async get(archive: string, id: string): Promise<ArchivedMessage | undefined> {
    checkJid(archive, 'archive');
    checkArchiveId(id);
    const r = await this.db.run('archive.get', (q) =>
      q.query<MessageRow>(this.q.get, [archive, id]),
    );
    const row = r.rows[0];
    return row && toMessage(row);
  }

  async count(archive: string, q: ArchiveFilter): Promise<number> {
    checkJid(archive, 'archive');
    checkArchiveFilter(q);
    const { text, values } = countSql(this.messages, this.mixed, archive, q);
    const r = await this.db.run('archive.count', (db) => db.query<{ n: string }>(text, values));
    return Number(r.rows[0]?.n ?? 0);
  }

  async deleteAll(archive: string): Promise<number> {
    checkJid(archive, 'archive');
    const r = await this.db.run('archive.deleteAll', (q) => q.query(this.q.deleteAll, [archive]));
    return r.rowCount ?? 0;
  }

  /** The newest message beyond `keep` is the cutoff; it and everything older go in batches. */
  async trim(archive: string, keep: number): Promise<number> {
    checkJid(archive, 'archive');
    checkKeep(keep);
    const r = await this.db.run('archive.trim', (q) =>
      q.query<{ id: string }>(this.q.trimCutoff, [archive, keep]),
    );
    const cutoff = r.rows[0]?.id;
    if (cutoff === undefined) return 0;
    let deleted = 0;
    for (;;) {
      const d = await this.db.run('archive.trim', (q) => q.query(this.q.trim, [archive, cutoff]));
      const n = d.rowCount ?? 0;
      deleted += n;
      if (n < EXPIRY_BATCH) return deleted;
    }
  }

  async deleteOlderThan(ts: number): Promise<number> {
    checkTimestamp(ts);
    let deleted = 0;
    for (;;) {
      const r = await this.db.run('archive.deleteOlderThan', (q) => q.query(this.q.expire, [ts]));
      const n = r.rowCount ?? 0;
      deleted += n;
      if (n < EXPIRY_BATCH) return deleted;
    }
  }

  async getPrefs(archive: string): Promise<ArchivePrefs | undefined> {
    checkJid(archive, 'archive');
    const r = await this.db.run('archive.getPrefs', (q) =>
      q.query<{ prefs: ArchivePrefs }>(this.q.getPrefs, [archive]),
    );
    return r.rows[0]?.prefs;
  }

  async setPrefs(archive: string, prefs: ArchivePrefs): Promise<void> {
    checkJid(archive, 'archive');
    checkArchivePrefs(prefs);
    await this.db.run('archive.setPrefs', (q) =>
      q.query(this.q.setPrefs, [archive, JSON.stringify(withoutUndefined(prefs))]),
    );
  }
}

/**
 * With time bounds (and no `ids`), a statement in two branches of which
 * PostgreSQL runs one (each starts with a one-time test of archive_mixed):
 * for an archive whose ids all encode their time, the time bounds are also
 * id bounds (a primary key range); otherwise the plain filter.
 */
function branches(
  table: string,
  mixed: string,
  archive: string,
  q: ArchiveFilter,
  select: string,
  tail: (values: unknown[]) => string,
): { text: string; values: unknown[] } {
  const { where, values } = filterSql(archive, q);
  if ((q.start === undefined && q.end === undefined) || q.ids !== undefined) {
    return { text: `${select} FROM ${table} WHERE ${where}${tail(values)}`, values };
  }
  const isMixed = `EXISTS (SELECT 1 FROM ${mixed} WHERE archive = $1)`;
  const { low, high } = archiveSeekBounds(q, true);
  let seek = where;
  if (low !== undefined) {
    values.push(low);
    seek += ` AND id >= $${values.length}`;
  }
  if (high !== undefined) {
    values.push(high);
    seek += ` AND id <= $${values.length}`;
  }
  const end = tail(values);
  return {
    text: `(${select} FROM ${table} WHERE NOT ${isMixed} AND ${seek}${end})
      UNION ALL (${select} FROM ${table} WHERE ${isMixed} AND ${where}${end})`,
    values,
  };
}

/** The statement of one page: one row more than the page, from the requested end. */
export function pageSql(
  table: string,
  mixed: string,
  archive: string,
  q: ArchiveQuery,
): { text: string; values: unknown[] } {
  const order = q.fromEnd === true ? 'DESC' : 'ASC';
  return branches(
    table,
    mixed,
    archive,
    q,
    'SELECT id, ts, with_jid, with_resource, xml',
    (values) => {
      values.push(q.limit + 1);
      return ` ORDER BY id ${order} LIMIT $${values.length}`;
    },
  );
}

/** The statement counting the matches of a filter (RSM <count/>). */
export function countSql(
  table: string,
  mixed: string,
  archive: string,
  q: ArchiveFilter,
): { text: string; values: unknown[] } {
  const inner = branches(table, mixed, archive, q, 'SELECT 1', () => '');
  return {
    text: `SELECT count(*)::bigint AS n FROM (${inner.text}) matches`,
    values: inner.values,
  };
}

/**
 * The WHERE clause of a filter and its parameters ($1 is the archive).
 * Only the filters present appear, so each combination is its own
 * prepared statement with its own plan.
 */
export function filterSql(archive: string, q: ArchiveFilter): { where: string; values: unknown[] } {
  const values: unknown[] = [archive];
  const parts = ['archive = $1'];
  const add = (condition: string, value: unknown) => {
    values.push(value);
    parts.push(condition.replace('?', `$${values.length}`));
  };
  if (q.with !== undefined) add('with_jid = ?', q.with);
  if (q.withResource !== undefined) add('with_resource = ?', q.withResource);
  if (q.start !== undefined) add('ts >= ?', q.start);
  if (q.end !== undefined) add('ts <= ?', q.end);
  if (q.afterId !== undefined) add('id > ?', q.afterId);
  if (q.beforeId !== undefined) add('id < ?', q.beforeId);
  if (q.ids !== undefined) add('id = ANY(?::text[])', q.ids);
  return { where: parts.join(' AND '), values };
}
