import type { BlocklistStore } from '../contracts.js';
import { checkJid } from '../shared/validate.js';
import type { PgSession } from './session.js';

/** `blocklist_items`: one row per (owner, blocked JID); the list in byte (code point) order. */
export class PostgresBlocklistStore implements BlocklistStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('blocklist_items');
    this.q = {
      get: `SELECT jid FROM ${t} WHERE owner = $1 ORDER BY jid`,
      // The statement's snapshot predates its own insert: old rows plus the new JIDs.
      add: `WITH ins AS (INSERT INTO ${t} (owner, jid) SELECT $1, unnest($2::text[])
          ON CONFLICT (owner, jid) DO NOTHING)
        SELECT jid COLLATE "C" AS jid FROM ${t} WHERE owner = $1
        UNION SELECT unnest($2::text[]) COLLATE "C"
        ORDER BY 1`,
      remove: `WITH d AS (DELETE FROM ${t} WHERE owner = $1 AND jid = ANY($2::text[]))
        SELECT jid FROM ${t} WHERE owner = $1 AND NOT (jid = ANY($2::text[])) ORDER BY jid`,
      clear: `DELETE FROM ${t} WHERE owner = $1`,
    };
  }

  async get(owner: string): Promise<string[]> {
    checkJid(owner, 'owner');
    return this.jids('blocklists.get', this.q.get, [owner]);
  }

  async add(owner: string, jids: string[]): Promise<string[]> {
    checkArgs(owner, jids);
    if (jids.length === 0) return this.get(owner);
    return this.jids('blocklists.add', this.q.add, [owner, jids]);
  }

  async remove(owner: string, jids: string[]): Promise<string[]> {
    checkArgs(owner, jids);
    if (jids.length === 0) return this.get(owner);
    return this.jids('blocklists.remove', this.q.remove, [owner, jids]);
  }

  async clear(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    await this.db.run('blocklists.clear', (q) => q.query(this.q.clear, [owner]));
  }

  private async jids(operation: string, sql: string, values: unknown[]): Promise<string[]> {
    const r = await this.db.run(operation, (q) => q.query<{ jid: string }>(sql, values));
    return r.rows.map((row) => row.jid);
  }
}

function checkArgs(owner: string, jids: string[]): void {
  checkJid(owner, 'owner');
  for (const jid of jids) checkJid(jid, 'blocked jid');
}
