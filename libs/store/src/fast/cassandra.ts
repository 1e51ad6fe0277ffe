import { StoreError } from '../errors.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession } from '../cassandra/session.js';
import type { FastTokenRecord, FastTokenSlot, FastTokenStore } from './contract.js';
import { checkAgent, checkRecord, recordOf } from './validate.js';

function slotOf(value: unknown, what: string): FastTokenSlot | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') throw new StoreError('corrupt', `${what} is not text`);
  try {
    return JSON.parse(value) as FastTokenSlot;
  } catch (err) {
    throw new StoreError('corrupt', `${what} is not JSON`, { cause: err });
  }
}

/** Table `fast_tokens ((jid), agent, current, next)`: one partition per account. */
export class CassandraFastTokenStore implements FastTokenStore {
  private readonly q: Record<'get' | 'set' | 'delete' | 'agents' | 'deleteAll', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('fast_tokens');
    this.q = {
      get: `SELECT current, next FROM ${t} WHERE jid = ? AND agent = ?`,
      set: `INSERT INTO ${t} (jid, agent, current, next) VALUES (?, ?, ?, ?)`,
      delete: `DELETE FROM ${t} WHERE jid = ? AND agent = ?`,
      agents: `SELECT agent FROM ${t} WHERE jid = ?`,
      deleteAll: `DELETE FROM ${t} WHERE jid = ?`,
    };
  }

  async get(jid: string, agent: string): Promise<FastTokenRecord | undefined> {
    this.session.life.assertOpen();
    checkJid(jid);
    checkAgent(agent);
    const [row] = await this.session.read('fastTokens.get', this.q.get, [jid, agent]);
    if (row === undefined) return undefined;
    return recordOf(
      jid,
      agent,
      slotOf(row.get('current'), 'fast_tokens.current'),
      slotOf(row.get('next'), 'fast_tokens.next'),
    );
  }

  async set(record: FastTokenRecord): Promise<void> {
    this.session.life.assertOpen();
    checkRecord(record);
    const { jid, agent, current, next } = record;
    if (current === undefined && next === undefined) {
      await this.delete(jid, agent);
      return;
    }
    const clean = recordOf(jid, agent, current, next);
    await this.session.write('fastTokens.set', this.q.set, [
      jid,
      agent,
      clean.current === undefined ? null : JSON.stringify(clean.current),
      clean.next === undefined ? null : JSON.stringify(clean.next),
    ]);
  }

  async delete(jid: string, agent: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(jid);
    checkAgent(agent);
    await this.session.write('fastTokens.delete', this.q.delete, [jid, agent]);
  }

  async deleteAll(jid: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(jid);
    const rows = await this.session.read('fastTokens.agents', this.q.agents, [jid]);
    if (rows.length > 0) await this.session.write('fastTokens.deleteAll', this.q.deleteAll, [jid]);
    return rows.length;
  }
}
