import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from '../lmdb/env.js';
import { checkKeySize } from '../lmdb/keys.js';
import { removePrefix } from '../lmdb/range.js';
import type { FastTokenRecord, FastTokenStore } from './contract.js';
import { checkAgent, checkRecord, recordOf } from './validate.js';

/** fast-tokens: [jid, agent] -> FastTokenRecord; one account is one range. */
export class LmdbFastTokenStore implements FastTokenStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(jid: string, agent: string): Promise<FastTokenRecord | undefined> {
    checkJid(jid);
    checkAgent(agent);
    checkKeySize(jid, agent);
    const r = await this.env.read('fastTokens.get', (snapshot) =>
      this.env.dbs.fastTokens.get([jid, agent], snapshot),
    );
    return r === undefined ? undefined : recordOf(jid, agent, r.current, r.next);
  }

  async set(record: FastTokenRecord): Promise<void> {
    checkRecord(record);
    const { jid, agent, current, next } = record;
    checkKeySize(jid, agent);
    await this.env.write('fastTokens.set', () => {
      if (current === undefined && next === undefined) {
        void this.env.dbs.fastTokens.remove([jid, agent]);
      } else {
        void this.env.dbs.fastTokens.put([jid, agent], recordOf(jid, agent, current, next));
      }
    });
  }

  async delete(jid: string, agent: string): Promise<void> {
    checkJid(jid);
    checkAgent(agent);
    checkKeySize(jid, agent);
    await this.env.write('fastTokens.delete', () => {
      void this.env.dbs.fastTokens.remove([jid, agent]);
    });
  }

  async deleteAll(jid: string): Promise<number> {
    checkJid(jid);
    checkKeySize(jid);
    return this.env.write('fastTokens.deleteAll', () =>
      removePrefix(this.env.dbs.fastTokens, [jid]),
    );
  }
}
