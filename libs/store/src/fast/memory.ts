import { Lifecycle } from '../shared/lifecycle.js';
import { checkJid } from '../shared/validate.js';
import type { FastTokenRecord, FastTokenStore } from './contract.js';
import { checkAgent, checkRecord, recordOf } from './validate.js';

/** FAST token records of one process (tests, a single gateway without a durable store). */
export class MemoryFastTokenStore implements FastTokenStore {
  private readonly records = new Map<string, Map<string, FastTokenRecord>>();

  /** `life`: the bundle's (openMemoryStores); alone, the store has its own and `close()`. */
  constructor(private readonly life: Lifecycle = new Lifecycle()) {}

  async get(jid: string, agent: string): Promise<FastTokenRecord | undefined> {
    this.life.assertOpen();
    checkJid(jid);
    checkAgent(agent);
    const r = this.records.get(jid)?.get(agent);
    return r === undefined ? undefined : recordOf(r.jid, r.agent, r.current, r.next);
  }

  async set(record: FastTokenRecord): Promise<void> {
    this.life.assertOpen();
    checkRecord(record);
    const { jid, agent, current, next } = record;
    if (current === undefined && next === undefined) {
      await this.delete(jid, agent);
      return;
    }
    let of = this.records.get(jid);
    if (of === undefined) this.records.set(jid, (of = new Map()));
    of.set(agent, recordOf(jid, agent, current, next));
  }

  async delete(jid: string, agent: string): Promise<void> {
    this.life.assertOpen();
    checkJid(jid);
    checkAgent(agent);
    const of = this.records.get(jid);
    of?.delete(agent);
    if (of?.size === 0) this.records.delete(jid);
  }

  async deleteAll(jid: string): Promise<number> {
    this.life.assertOpen();
    checkJid(jid);
    const n = this.records.get(jid)?.size ?? 0;
    this.records.delete(jid);
    return n;
  }

  async close(): Promise<void> {
    this.life.markClosed();
  }
}
