import type { PrivateStore } from '../contracts.js';
import { checkPrivateKey, checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession } from './session.js';
import { requireString } from './util.js';

/**
 * Table `private_xml ((owner), ns, name) -> xml`: one partition per owner,
 * so removing an account's private data is one partition delete.
 */
export class CassandraPrivateStore implements PrivateStore {
  private readonly q: Record<'get' | 'set' | 'usage' | 'deleteAll', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('private_xml');
    this.q = {
      get: `SELECT xml FROM ${t} WHERE owner = ? AND ns = ? AND name = ?`,
      set: `INSERT INTO ${t} (owner, ns, name, xml) VALUES (?, ?, ?, ?)`,
      usage: `SELECT xml FROM ${t} WHERE owner = ?`,
      deleteAll: `DELETE FROM ${t} WHERE owner = ?`,
    };
  }

  async get(owner: string, name: string, ns: string): Promise<string | undefined> {
    this.session.life.assertOpen();
    checkPrivateKey(owner, name, ns);
    const [row] = await this.session.read('privateXml.get', this.q.get, [owner, ns, name]);
    return row && requireString(row.get('xml'), 'private_xml.xml');
  }

  async set(owner: string, name: string, ns: string, xml: string): Promise<void> {
    this.session.life.assertOpen();
    checkPrivateKey(owner, name, ns);
    checkXml(xml);
    await this.session.write('privateXml.set', this.q.set, [owner, ns, name, xml]);
  }

  /** One partition read; an account keeps a handful of elements, so they are summed here. */
  async usage(owner: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    let total = 0;
    for await (const row of this.session.iterate('privateXml.usage', this.q.usage, [owner]))
      total += Buffer.byteLength(requireString(row.get('xml'), 'private_xml.xml'));
    return total;
  }

  async deleteAll(owner: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    await this.session.write('privateXml.deleteAll', this.q.deleteAll, [owner]);
  }
}
