import type { BlocklistStore } from '../contracts.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession } from './session.js';
import { requireString } from './util.js';

const CHUNK = 500;

/**
 * Table `blocklist_items ((owner), jid)`: one partition per owner, clustered
 * by the blocked JID, so the list reads back in code-point order without
 * duplicates. `add`/`remove` are one unlogged batch on the owner's partition
 * (atomic and isolated, as every single-partition batch is) followed by a
 * LOCAL_QUORUM read of the list, which sees the write.
 */
export class CassandraBlocklistStore implements BlocklistStore {
  private readonly q: Record<'get' | 'add' | 'remove' | 'clear', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('blocklist_items');
    this.q = {
      get: `SELECT jid FROM ${t} WHERE owner = ?`,
      add: `INSERT INTO ${t} (owner, jid) VALUES (?, ?)`,
      remove: `DELETE FROM ${t} WHERE owner = ? AND jid = ?`,
      clear: `DELETE FROM ${t} WHERE owner = ?`,
    };
  }

  async get(owner: string): Promise<string[]> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    return this.list(owner);
  }

  async add(owner: string, jids: string[]): Promise<string[]> {
    this.session.life.assertOpen();
    checkArgs(owner, jids);
    await this.apply('blocklists.add', this.q.add, owner, jids);
    return this.list(owner);
  }

  async remove(owner: string, jids: string[]): Promise<string[]> {
    this.session.life.assertOpen();
    checkArgs(owner, jids);
    await this.apply('blocklists.remove', this.q.remove, owner, jids);
    return this.list(owner);
  }

  async clear(owner: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    await this.session.write('blocklists.clear', this.q.clear, [owner]);
  }

  /** One batch per CHUNK items (a batch carries at most 65535 statements). */
  private async apply(operation: string, query: string, owner: string, jids: string[]) {
    const unique = [...new Set(jids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const statements = unique.slice(i, i + CHUNK).map((jid) => ({ query, params: [owner, jid] }));
      await this.session.batch(operation, statements, 'unlogged');
    }
  }

  private async list(owner: string): Promise<string[]> {
    const rows = await this.session.readAll('blocklists.get', this.q.get, [owner]);
    return rows.map((row) => requireString(row.get('jid'), 'blocklist_items.jid'));
  }
}

function checkArgs(owner: string, jids: string[]): void {
  checkJid(owner, 'owner');
  for (const jid of jids) checkJid(jid, 'blocked jid');
}
