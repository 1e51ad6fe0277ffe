import type { Account, AccountStore, ListPage } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkJid } from '../shared/validate.js';
import { copyRecord } from './copy.js';
import { JidIndex } from './jid-index.js';

export class MemoryAccountStore implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  private readonly index = new JidIndex();

  constructor(private readonly life: Lifecycle) {}

  async create(account: Account): Promise<boolean> {
    this.life.assertOpen();
    checkJid(account.jid);
    if (this.accounts.has(account.jid)) return false;
    this.accounts.set(account.jid, copyRecord(account));
    this.index.add(account.jid);
    return true;
  }

  async get(jid: string): Promise<Account | undefined> {
    this.life.assertOpen();
    checkJid(jid);
    const account = this.accounts.get(jid);
    return account && copyRecord(account);
  }

  async update(account: Account): Promise<boolean> {
    this.life.assertOpen();
    checkJid(account.jid);
    if (!this.accounts.has(account.jid)) return false;
    this.accounts.set(account.jid, copyRecord(account));
    return true;
  }

  async delete(jid: string): Promise<boolean> {
    this.life.assertOpen();
    checkJid(jid);
    if (!this.accounts.delete(jid)) return false;
    this.index.delete(jid);
    return true;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<Account>> {
    this.life.assertOpen();
    return this.index.page(opts, (jid) => copyRecord(this.accounts.get(jid)!));
  }

  async count(domain?: string): Promise<number> {
    this.life.assertOpen();
    if (domain === undefined) return this.accounts.size;
    return this.index.count(domain);
  }

  async createMany(accounts: Account[]): Promise<number> {
    this.life.assertOpen();
    for (const account of accounts) checkJid(account.jid);
    const created: string[] = [];
    for (const account of accounts) {
      if (this.accounts.has(account.jid)) continue;
      this.accounts.set(account.jid, copyRecord(account));
      created.push(account.jid);
    }
    this.index.addMany(created);
    return created.length;
  }
}
