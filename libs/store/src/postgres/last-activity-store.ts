import type { LastActivity, LastActivityStore } from '../contracts.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { PgSession } from './session.js';

export class PostgresLastActivityStore implements LastActivityStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('last_activity');
    this.q = {
      set: `INSERT INTO ${t} (jid, ts, status) VALUES ($1, $2, $3)
        ON CONFLICT (jid) DO UPDATE SET ts = excluded.ts, status = excluded.status`,
      get: `SELECT ts, status FROM ${t} WHERE jid = $1`,
      delete: `DELETE FROM ${t} WHERE jid = $1`,
    };
  }

  async set(jid: string, activity: LastActivity): Promise<void> {
    checkJid(jid);
    checkTimestamp(activity.ts, 'activity.ts');
    await this.db.run('lastActivity.set', (q) =>
      q.query(this.q.set, [jid, activity.ts, activity.status ?? null]),
    );
  }

  async get(jid: string): Promise<LastActivity | undefined> {
    checkJid(jid);
    const r = await this.db.run('lastActivity.get', (q) =>
      q.query<{ ts: number; status: string | null }>(this.q.get, [jid]),
    );
    const row = r.rows[0];
    return row && withoutUndefined({ ts: row.ts, status: row.status ?? undefined });
  }

  async delete(jid: string): Promise<void> {
    checkJid(jid);
    await this.db.run('lastActivity.delete', (q) => q.query(this.q.delete, [jid]));
  }
}
