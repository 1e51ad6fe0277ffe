import type { Roster, RosterItem, RosterStore } from '../contracts.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid } from '../shared/validate.js';
import type { PgSession } from './session.js';

/**
 * `roster_items` plus `roster_versions`. Each change is one statement whose
 * CTEs write the item and bump the version together; an item written again
 * unchanged (jsonb equality) leaves the version alone. Concurrent writers of
 * one roster queue on its version row, so every change gets its own version.
 */
export class PostgresRosterStore implements RosterStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const items = db.table('roster_items');
    const versions = db.table('roster_versions');
    /** Bumps the version when CTE `changed` produced rows, and returns the version. */
    const bumpIfChanged = `v AS (
        INSERT INTO ${versions} (owner, version) SELECT $1, 1 WHERE EXISTS (SELECT 1 FROM changed)
        ON CONFLICT (owner) DO UPDATE SET version = ${versions}.version + 1 RETURNING version)
      SELECT version FROM v
      UNION ALL
      SELECT version FROM ${versions} WHERE owner = $1 AND NOT EXISTS (SELECT 1 FROM changed)`;
    this.q = {
      get: `SELECT
          (SELECT version FROM ${versions} WHERE owner = $1) AS version,
          (SELECT coalesce(json_agg(item ORDER BY contact), '[]') FROM ${items} WHERE owner = $1) AS items`,
      getItem: `SELECT item FROM ${items} WHERE owner = $1 AND contact = $2`,
      setItem: `WITH changed AS (
          INSERT INTO ${items} (owner, contact, item) VALUES ($1, $2, $3)
          ON CONFLICT (owner, contact) DO UPDATE SET item = excluded.item
          WHERE ${items}.item IS DISTINCT FROM excluded.item RETURNING 1),
        ${bumpIfChanged}`,
      removeItem: `WITH changed AS (
          DELETE FROM ${items} WHERE owner = $1 AND contact = $2 RETURNING 1),
        ${bumpIfChanged}`,
      deleteAll: `WITH changed AS (DELETE FROM ${items} WHERE owner = $1 RETURNING 1),
        ${bumpIfChanged}`,
    };
  }

  async get(owner: string): Promise<Roster> {
    checkJid(owner, 'owner');
    const r = await this.db.run('rosters.get', (q) =>
      q.query<{ version: string | null; items: RosterItem[] }>(this.q.get, [owner]),
    );
    const row = r.rows[0];
    return { version: row?.version ?? '0', items: row?.items ?? [] };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    const r = await this.db.run('rosters.getItem', (q) =>
      q.query<{ item: RosterItem }>(this.q.getItem, [owner, contact]),
    );
    return r.rows[0]?.item;
  }

  async setItem(owner: string, item: RosterItem): Promise<string> {
    checkJid(owner, 'owner');
    checkJid(item.jid, 'item.jid');
    return this.version('rosters.setItem', this.q.setItem, [
      owner,
      item.jid,
      JSON.stringify(withoutUndefined(item)),
    ]);
  }

  async removeItem(owner: string, contact: string): Promise<string> {
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    return this.version('rosters.removeItem', this.q.removeItem, [owner, contact]);
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    await this.version('rosters.deleteAll', this.q.deleteAll, [owner]);
  }

  private async version(operation: string, sql: string, values: unknown[]): Promise<string> {
    const r = await this.db.run(operation, (q) => q.query<{ version: string }>(sql, values));
    return r.rows[0]?.version ?? '0';
  }
}
