import type { OfflineMessage, OfflineStore } from '../contracts.js';
import { offlineBytes } from '../shared/offline-bytes.js';
import { formatOfflineId, parseOfflineId } from '../shared/offline-id.js';
import { checkCap, checkJid, checkLimit, checkTimestamp } from '../shared/validate.js';
import type { PgSession } from './session.js';

interface MessageRow {
  seq: string;
  ts: number;
  xml: string;
}

const toMessage = (row: MessageRow): OfflineMessage => ({
  id: formatOfflineId(Number(row.seq)),
  ts: row.ts,
  xml: row.xml,
});

/**
 * `offline_queues` (per owner: last sequence number, messages and bytes
 * queued) plus `offline_messages`. A push is one statement: the queue row's
 * upsert checks both caps and takes the next number under the row lock, so
 * concurrent pushes never exceed them; removals lower the count and the
 * bytes in the same statement that deletes the rows.
 */
export class PostgresOfflineStore implements OfflineStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const queues = db.table('offline_queues');
    const messages = db.table('offline_messages');
    /**
     * Lowers each owner's count and bytes by what CTE `d` (rows with `owner`
     * and their bytes `b`) deleted; returns the total.
     */
    const uncount = `per AS (SELECT owner, count(*) AS n, sum(b) AS b FROM d GROUP BY owner),
        upd AS (UPDATE ${queues} qu SET queued = qu.queued - per.n,
          queued_bytes = CASE WHEN qu.queued <= per.n THEN 0 ELSE greatest(0, qu.queued_bytes - per.b) END
          FROM per WHERE qu.owner = per.owner)
      SELECT coalesce(sum(n), 0)::bigint AS n FROM per`;
    const returning = 'RETURNING owner, octet_length(xml) AS b';
    this.q = {
      push: `WITH qu AS (
          INSERT INTO ${queues} (owner, last_seq, queued, queued_bytes) VALUES ($1, 1, 1, $5)
          ON CONFLICT (owner) DO UPDATE SET last_seq = ${queues}.last_seq + 1,
            queued = ${queues}.queued + 1, queued_bytes = ${queues}.queued_bytes + $5
          WHERE ${queues}.queued < $4 AND ($6::bigint = 0 OR ${queues}.queued_bytes + $5 <= $6::bigint)
          RETURNING last_seq)
        INSERT INTO ${messages} (owner, seq, ts, xml) SELECT $1, last_seq, $3, $2 FROM qu
        RETURNING seq`,
      list: `SELECT seq, ts, xml FROM ${messages} WHERE owner = $1 ORDER BY seq LIMIT $2`,
      count: `SELECT queued FROM ${queues} WHERE owner = $1`,
      remove: `WITH d AS (DELETE FROM ${messages} WHERE owner = $1 AND seq = ANY($2::bigint[]) ${returning}),
        ${uncount}`,
      deleteAll: `WITH d AS (DELETE FROM ${messages} WHERE owner = $1 ${returning}), ${uncount}`,
      deleteOlderThan: `WITH d AS (DELETE FROM ${messages} WHERE ts < $1 ${returning}), ${uncount}`,
    };
  }

  async push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
    maxBytes = 0,
  ): Promise<OfflineMessage | undefined> {
    checkJid(owner, 'owner');
    checkTimestamp(ts);
    checkCap(cap);
    checkCap(maxBytes, 'maxBytes');
    this.db.life.assertOpen();
    const size = offlineBytes(xml);
    // The upsert checks the bytes of a queue that exists; a first message alone here.
    if (cap === 0 || (maxBytes > 0 && size > maxBytes)) return undefined;
    const r = await this.db.run('offline.push', (q) =>
      q.query<{ seq: string }>(this.q.push, [owner, xml, ts, cap, size, maxBytes]),
    );
    const row = r.rows[0];
    return row && { id: formatOfflineId(Number(row.seq)), ts, xml };
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    checkJid(owner, 'owner');
    checkLimit(limit);
    const r = await this.db.run('offline.list', (q) =>
      q.query<MessageRow>(this.q.list, [owner, limit ?? null]),
    );
    return r.rows.map(toMessage);
  }

  async count(owner: string): Promise<number> {
    checkJid(owner, 'owner');
    const r = await this.db.run('offline.count', (q) =>
      q.query<{ queued: number }>(this.q.count, [owner]),
    );
    return r.rows[0]?.queued ?? 0;
  }

  async remove(owner: string, ids: string[]): Promise<number> {
    checkJid(owner, 'owner');
    const seqs = [...new Set(ids.map(parseOfflineId).filter((s) => s !== undefined))];
    this.db.life.assertOpen();
    if (seqs.length === 0) return 0;
    return this.deleted('offline.remove', this.q.remove, [owner, seqs]);
  }

  async deleteAll(owner: string): Promise<number> {
    checkJid(owner, 'owner');
    return this.deleted('offline.deleteAll', this.q.deleteAll, [owner]);
  }

  async deleteOlderThan(ts: number): Promise<number> {
    checkTimestamp(ts);
    return this.deleted('offline.deleteOlderThan', this.q.deleteOlderThan, [ts]);
  }

  private async deleted(operation: string, sql: string, values: unknown[]): Promise<number> {
    const r = await this.db.run(operation, (q) => q.query<{ n: string }>(sql, values));
    return Number(r.rows[0]?.n ?? 0);
  }
}
