import type { BlocklistStore } from '../contracts.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv, ReadTxn } from './env.js';
import { MAX, asTuple, checkKeySize } from './keys.js';

/**
 * blocklist-items: [owner, jid] -> true. One owner's list is one range
 * scan, already in code-point order; a change and the list it returns come
 * from the same transaction.
 */
export class LmdbBlocklistStore implements BlocklistStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(owner: string): Promise<string[]> {
    checkOwner(owner);
    return this.env.read('blocklists.get', (snapshot) => this.list(owner, snapshot));
  }

  async add(owner: string, jids: string[]): Promise<string[]> {
    checkArgs(owner, jids);
    const { blocklistItems } = this.env.dbs;
    return this.env.write('blocklists.add', () => {
      for (const jid of jids) void blocklistItems.put([owner, jid], true);
      return this.list(owner);
    });
  }

  async remove(owner: string, jids: string[]): Promise<string[]> {
    checkArgs(owner, jids);
    const { blocklistItems } = this.env.dbs;
    return this.env.write('blocklists.remove', () => {
      for (const jid of jids) void blocklistItems.remove([owner, jid]);
      return this.list(owner);
    });
  }

  async clear(owner: string): Promise<void> {
    checkOwner(owner);
    const { blocklistItems } = this.env.dbs;
    await this.env.write('blocklists.clear', () => {
      const keys = Array.from(blocklistItems.getKeys({ start: [owner], end: [owner, MAX] }));
      for (const key of keys) void blocklistItems.remove(key);
    });
  }

  /** The owner's items, inside a transaction or against a read snapshot. */
  private list(owner: string, snapshot?: { transaction: ReadTxn }): string[] {
    const keys = this.env.dbs.blocklistItems.getKeys({
      ...snapshot,
      start: [owner],
      end: [owner, MAX],
    });
    return Array.from(keys, (key) => asTuple<[string, string]>(key, 'ss', 'blocklist-items')[1]);
  }
}

function checkOwner(owner: string): void {
  checkJid(owner, 'owner');
  checkKeySize(owner);
}

function checkArgs(owner: string, jids: string[]): void {
  checkOwner(owner);
  for (const jid of jids) {
    checkJid(jid, 'blocked jid');
    checkKeySize(owner, jid);
  }
}
