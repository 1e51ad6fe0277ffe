import type { PrivateStore } from '../contracts.js';
import { checkPrivateKey, checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { PgSession } from './session.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

/** `private_xml`: one row per (owner, namespace, element name); the key parts as UTF-8 bytes. */
export class PostgresPrivateStore implements PrivateStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('private_xml');
    this.q = {
      get: `SELECT xml FROM ${t} WHERE owner = $1 AND ns = $2 AND name = $3`,
      set: `INSERT INTO ${t} (owner, ns, name, xml) VALUES ($1, $2, $3, $4)
        ON CONFLICT (owner, ns, name) DO UPDATE SET xml = excluded.xml`,
      usage: `SELECT coalesce(sum(octet_length(xml)), 0)::bigint AS bytes FROM ${t} WHERE owner = $1`,
      deleteAll: `DELETE FROM ${t} WHERE owner = $1`,
    };
  }

  async get(owner: string, name: string, ns: string): Promise<string | undefined> {
    checkPrivateKey(owner, name, ns);
    const r = await this.db.run('privateXml.get', (q) =>
      q.query<{ xml: string }>(this.q.get, [owner, bytes(ns), bytes(name)]),
    );
    return r.rows[0]?.xml;
  }

  async set(owner: string, name: string, ns: string, xml: string): Promise<void> {
    checkPrivateKey(owner, name, ns);
    checkXml(xml);
    await this.db.run('privateXml.set', (q) =>
      q.query(this.q.set, [owner, bytes(ns), bytes(name), xml]),
    );
  }

  async usage(owner: string): Promise<number> {
    checkJid(owner, 'owner');
    const r = await this.db.run('privateXml.usage', (q) =>
      q.query<{ bytes: string }>(this.q.usage, [owner]),
    );
    return Number(r.rows[0]?.bytes ?? 0);
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    await this.db.run('privateXml.deleteAll', (q) => q.query(this.q.deleteAll, [owner]));
  }
}
