import type { ListPage } from '../contracts.js';
import { compareCodePoints, domainOf } from '../shared/jid-order.js';
import { checkLimit } from '../shared/validate.js';
import type { CqlSession, Statement } from './session.js';
import { LIST_SHARDS, shardOf } from './util.js';

/**
 * A sorted listing of jids (accounts, rooms), overall and per domain, kept
 * in two tables:
 *
 *   <all>      ((shard), jid)          every jid, spread over LIST_SHARDS partitions
 *   <byDomain> ((domain, shard), jid)  the jids of one domain, spread the same way
 *
 * A single partition per listing would grow without bound and take every
 * write of the deployment; sharding by a hash of the jid spreads them, and a
 * page is the k-way merge of the shards' clustering order (UTF-8 byte order,
 * which is code-point order), each read from `after` on. Index rows are
 * plain idempotent upserts; the records themselves live in the owning
 * table, and a listing skips index rows whose record is gone.
 */
export class ShardedIndex {
  private readonly insertAll: string;
  private readonly insertDomain: string;
  private readonly deleteAll: string;
  private readonly deleteDomain: string;
  private readonly selectAll: string;
  private readonly selectDomain: string;

  constructor(
    private readonly session: CqlSession,
    allTable: string,
    domainTable: string,
  ) {
    const all = session.table(allTable);
    const byDomain = session.table(domainTable);
    this.insertAll = `INSERT INTO ${all} (shard, jid) VALUES (?, ?)`;
    this.insertDomain = `INSERT INTO ${byDomain} (domain, shard, jid) VALUES (?, ?, ?)`;
    this.deleteAll = `DELETE FROM ${all} WHERE shard = ? AND jid = ?`;
    this.deleteDomain = `DELETE FROM ${byDomain} WHERE domain = ? AND shard = ? AND jid = ?`;
    this.selectAll = `SELECT jid FROM ${all} WHERE shard = ? AND jid > ?`;
    this.selectDomain = `SELECT jid FROM ${byDomain} WHERE domain = ? AND shard = ? AND jid > ?`;
  }

  insertStatements(jid: string): Statement[] {
    const shard = shardOf(jid);
    return [
      { query: this.insertAll, params: [shard, jid] },
      { query: this.insertDomain, params: [domainOf(jid), shard, jid] },
    ];
  }

  deleteStatements(jid: string): Statement[] {
    const shard = shardOf(jid);
    return [
      { query: this.deleteAll, params: [shard, jid] },
      { query: this.deleteDomain, params: [domainOf(jid), shard, jid] },
    ];
  }

  /** Indexed jids strictly after `after` (every jid is non-empty, so '' means "from the start"), in code-point order. */
  async *jids(
    operation: string,
    opts: { after?: string; domain?: string },
    fetchSize: number,
  ): AsyncGenerator<string> {
    const after = opts.after ?? '';
    const cursors = Array.from({ length: LIST_SHARDS }, (_, shard) =>
      opts.domain === undefined
        ? this.session.iterate(operation, this.selectAll, [shard, after], { fetchSize })
        : this.session.iterate(operation, this.selectDomain, [opts.domain, shard, after], {
            fetchSize,
          }),
    );
    const heads = await Promise.all(cursors.map((c) => c.next()));
    for (;;) {
      let best = -1;
      let bestJid = '';
      heads.forEach((head, i) => {
        if (head.done) return;
        const jid = head.value.get('jid') as string;
        if (best < 0 || compareCodePoints(jid, bestJid) < 0) {
          best = i;
          bestJid = jid;
        }
      });
      if (best < 0) return;
      yield bestJid;
      heads[best] = await cursors[best]!.next();
    }
  }

  /**
   * One page of records in jid order: `load` fetches the records of some
   * jids (undefined for a dangling index row, which is skipped).
   */
  async page<T>(
    operation: string,
    opts: { after?: string; limit?: number; domain?: string },
    load: (jids: string[]) => Promise<(T | undefined)[]>,
  ): Promise<ListPage<T>> {
    checkLimit(opts.limit);
    const { limit } = opts;
    // One record more than the page tells whether another page follows.
    const want = limit === undefined ? Infinity : limit + 1;
    const fetchSize = limit === undefined ? 1000 : Math.min(limit + 1, 1000);
    const found: { jid: string; record: T }[] = [];
    let pending: string[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const jids = pending;
      pending = [];
      const records = await load(jids);
      jids.forEach((jid, i) => {
        const record = records[i];
        if (record !== undefined) found.push({ jid, record });
      });
    };
    for await (const jid of this.jids(operation, opts, fetchSize)) {
      pending.push(jid);
      if (found.length + pending.length >= want || pending.length >= 256) {
        await flush();
        if (found.length >= want) break;
      }
    }
    await flush();
    const more = limit !== undefined && found.length > limit;
    const shown = more ? found.slice(0, limit) : found;
    const items = shown.map((f) => f.record);
    const last = shown[shown.length - 1];
    return more && last !== undefined ? { items, next: last.jid } : { items };
  }
}
