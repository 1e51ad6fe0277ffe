import type { VcardStore } from '../contracts.js';
import { checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession } from './session.js';
import { requireString } from './util.js';

/** Table `vcards (jid PRIMARY KEY, xml)`. */
export class CassandraVcardStore implements VcardStore {
  private readonly q: Record<'get' | 'set' | 'delete', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('vcards');
    this.q = {
      get: `SELECT xml FROM ${t} WHERE jid = ?`,
      set: `INSERT INTO ${t} (jid, xml) VALUES (?, ?)`,
      delete: `DELETE FROM ${t} WHERE jid = ?`,
    };
  }

  async get(jid: string): Promise<string | undefined> {
    this.session.life.assertOpen();
    checkJid(jid);
    const [row] = await this.session.read('vcards.get', this.q.get, [jid]);
    return row && requireString(row.get('xml'), 'vcards.xml');
  }

  async set(jid: string, xml: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(jid);
    checkXml(xml);
    await this.session.write('vcards.set', this.q.set, [jid, xml]);
  }

  async delete(jid: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(jid);
    await this.session.write('vcards.delete', this.q.delete, [jid]);
  }
}
