import type { VcardStore } from '../contracts.js';
import { checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { PgSession } from './session.js';

export class PostgresVcardStore implements VcardStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('vcards');
    this.q = {
      get: `SELECT xml FROM ${t} WHERE jid = $1`,
      set: `INSERT INTO ${t} (jid, xml) VALUES ($1, $2) ON CONFLICT (jid) DO UPDATE SET xml = excluded.xml`,
      delete: `DELETE FROM ${t} WHERE jid = $1`,
    };
  }

  async get(jid: string): Promise<string | undefined> {
    checkJid(jid);
    const r = await this.db.run('vcards.get', (q) => q.query<{ xml: string }>(this.q.get, [jid]));
    return r.rows[0]?.xml;
  }

  async set(jid: string, xml: string): Promise<void> {
    checkJid(jid);
    checkXml(xml);
    await this.db.run('vcards.set', (q) => q.query(this.q.set, [jid, xml]));
  }

  async delete(jid: string): Promise<void> {
    checkJid(jid);
    await this.db.run('vcards.delete', (q) => q.query(this.q.delete, [jid]));
  }
}
