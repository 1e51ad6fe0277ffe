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
  type ArchiveFilter,
} from '../shared/archive-query.js';
import { withoutUndefined } from '../shared/plain.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { PgSession } from './session.js';

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

  constructor(private readonly db: PgSession) {
    const messages = (this.messages = db.table('archive_messages'));
    const prefs = db.table('archive_prefs');
    this.q = {
      append: `INSERT INTO ${messages} (archive, id, ts, with_jid, with_resource, xml)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (archive, id) DO NOTHING`,
      get: `SELECT id, ts, with_jid, with_resource, xml FROM ${messages} WHERE archive = $1 AND id = $2`,
      deleteAll: `WITH p AS (DELETE FROM ${prefs} WHERE archive = $1)
        DELETE FROM ${messages} WHERE archive = $1`,
      expire: `DELETE FROM ${messages} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ${messages} WHERE ts < $1 LIMIT ${EXPIRY_BATCH}))`,
      getPrefs: `SELECT prefs FROM ${prefs} WHERE archive = $1`,
      setPrefs: `INSERT INTO ${prefs} (archive, prefs) VALUES ($1, $2)
        ON CONFLICT (archive) DO UPDATE SET prefs = excluded.prefs`,
    };
  }

  async append(archive: string, msg: ArchivedMessage): Promise<boolean> {
    checkJid(archive, 'archive');
    checkArchivedMessage(msg);
    const r = await this.db.run('archive.append', (q) =>
      q.query(this.q.append, [
        archive,
        msg.id,
        msg.ts,
        msg.with,
        msg.withResource ?? null,
        msg.xml,
      ]),
    );
    return r.rowCount === 1;
  }

  async query(archive: string, q: ArchiveQuery): Promise<ArchivePage> {
    checkJid(archive, 'archive');
    checkArchiveQuery(q);
    const fromEnd = q.fromEnd === true;
    const { where, values } = filterSql(archive, q);
    values.push(q.limit + 1);
    const sql = `SELECT id, ts, with_jid, with_resource, xml FROM ${this.messages}
      WHERE ${where} ORDER BY id ${fromEnd ? 'DESC' : 'ASC'} LIMIT $${values.length}`;
    const r = await this.db.run('archive.query', (db) => db.query<MessageRow>(sql, values));
    const rows = r.rows;
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
    const { where, values } = filterSql(archive, q);
    const sql = `SELECT count(*)::bigint AS n FROM ${this.messages} WHERE ${where}`;
    const r = await this.db.run('archive.count', (db) => db.query<{ n: string }>(sql, values));
    return Number(r.rows[0]?.n ?? 0);
  }

  async deleteAll(archive: string): Promise<number> {
    checkJid(archive, 'archive');
    const r = await this.db.run('archive.deleteAll', (q) => q.query(this.q.deleteAll, [archive]));
    return r.rowCount ?? 0;
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
