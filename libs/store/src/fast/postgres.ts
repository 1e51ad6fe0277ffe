import { checkJid } from '../shared/validate.js';
import type { PgSession } from '../postgres/session.js';
import type { FastTokenRecord, FastTokenSlot, FastTokenStore } from './contract.js';
import { checkAgent, checkRecord, recordOf } from './validate.js';

interface Row {
  current: FastTokenSlot | null;
  next: FastTokenSlot | null;
}

/** `fast_tokens`: one row per (jid, agent), the slots as jsonb. */
export class PostgresFastTokenStore implements FastTokenStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('fast_tokens');
    this.q = {
      get: `SELECT current, next FROM ${t} WHERE jid = $1 AND agent = $2`,
      set: `INSERT INTO ${t} (jid, agent, current, next) VALUES ($1, $2, $3, $4)
        ON CONFLICT (jid, agent) DO UPDATE SET current = excluded.current, next = excluded.next`,
      delete: `DELETE FROM ${t} WHERE jid = $1 AND agent = $2`,
      deleteAll: `DELETE FROM ${t} WHERE jid = $1`,
    };
  }

  async get(jid: string, agent: string): Promise<FastTokenRecord | undefined> {
    checkJid(jid);
    checkAgent(agent);
    const r = await this.db.run('fastTokens.get', (q) => q.query<Row>(this.q.get, [jid, agent]));
    const row = r.rows[0];
    return row === undefined
      ? undefined
      : recordOf(jid, agent, row.current ?? undefined, row.next ?? undefined);
  }

  async set(record: FastTokenRecord): Promise<void> {
    checkRecord(record);
    const { jid, agent, current, next } = record;
    if (current === undefined && next === undefined) {
      await this.delete(jid, agent);
      return;
    }
    const clean = recordOf(jid, agent, current, next);
    await this.db.run('fastTokens.set', (q) =>
      q.query(this.q.set, [
        jid,
        agent,
        clean.current === undefined ? null : JSON.stringify(clean.current),
        clean.next === undefined ? null : JSON.stringify(clean.next),
      ]),
    );
  }

  async delete(jid: string, agent: string): Promise<void> {
    checkJid(jid);
    checkAgent(agent);
    await this.db.run('fastTokens.delete', (q) => q.query(this.q.delete, [jid, agent]));
  }

  async deleteAll(jid: string): Promise<number> {
    checkJid(jid);
    const r = await this.db.run('fastTokens.deleteAll', (q) => q.query(this.q.deleteAll, [jid]));
    return r.rowCount ?? 0;
  }
}
