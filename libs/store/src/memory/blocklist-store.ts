import type { BlocklistStore } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkJid } from '../shared/validate.js';
import { SortedKeys } from './sorted-keys.js';

export class MemoryBlocklistStore implements BlocklistStore {
  private readonly lists = new Map<string, SortedKeys>();

  constructor(private readonly life: Lifecycle) {}

  async get(owner: string): Promise<string[]> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    return this.snapshot(owner);
  }

  async add(owner: string, jids: string[]): Promise<string[]> {
    this.life.assertOpen();
    checkArgs(owner, jids);
    let list = this.lists.get(owner);
    if (!list && jids.length > 0) this.lists.set(owner, (list = new SortedKeys()));
    list?.addMany(jids);
    return this.snapshot(owner);
  }

  async remove(owner: string, jids: string[]): Promise<string[]> {
    this.life.assertOpen();
    checkArgs(owner, jids);
    const list = this.lists.get(owner);
    if (list) {
      for (const jid of jids) list.delete(jid);
      if (list.size === 0) this.lists.delete(owner);
    }
    return this.snapshot(owner);
  }

  async clear(owner: string): Promise<void> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    this.lists.delete(owner);
  }

  private snapshot(owner: string): string[] {
    const list = this.lists.get(owner);
    return list ? list.slice(undefined, list.size) : [];
  }
}

function checkArgs(owner: string, jids: string[]): void {
  checkJid(owner, 'owner');
  for (const jid of jids) checkJid(jid, 'blocked jid');
}
