import type { LastActivity, LastActivityStore } from '../contracts.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { CqlSession } from './session.js';
import { toNumber } from './util.js';

/** Table `last_activity (jid PRIMARY KEY, ts, status)`: plain upserts and point reads. */
export class CassandraLastActivityStore implements LastActivityStore {
  private readonly q: Record<'set' | 'get' | 'delete', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('last_activity');
    this.q = {
      // Binding null for an absent status replaces the whole record.
      set: `INSERT INTO ${t} (jid, ts, status) VALUES (?, ?, ?)`,
      get: `SELECT ts, status FROM ${t} WHERE jid = ?`,
      delete: `DELETE FROM ${t} WHERE jid = ?`,
    };
  }

  async set(jid: string, activity: LastActivity): Promise<void> {
    this.session.life.assertOpen();
    checkJid(jid);
    checkTimestamp(activity.ts, 'activity.ts');
    await this.session.write('lastActivity.set', this.q.set, [
      jid,
      activity.ts,
      activity.status ?? null,
    ]);
  }

  async get(jid: string): Promise<LastActivity | undefined> {
    this.session.life.assertOpen();
    checkJid(jid);
    const [row] = await this.session.read('lastActivity.get', this.q.get, [jid]);
    if (!row) return undefined;
    const activity: LastActivity = { ts: toNumber(row.get('ts'), 'last_activity.ts') };
    const status = row.get('status') as unknown;
    if (typeof status === 'string') activity.status = status;
    return activity;
  }

  async delete(jid: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(jid);
    await this.session.write('lastActivity.delete', this.q.delete, [jid]);
  }
}
