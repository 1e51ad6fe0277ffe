import type { Account, AccountStore, ListPage } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkJid, checkLimit } from '../shared/validate.js';
import { copyRecord } from './copy.js';
import { SortedKeys } from './sorted-keys.js';

export class MemoryAccountStore implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  private readonly all = new SortedKeys();
  private readonly byDomain = new Map<string, SortedKeys>();

  constructor(private readonly life: Lifecycle) {}

  async create(account: Account): Promise<boolean> {
    this.life.assertOpen();
    checkJid(account.jid);
    if (this.accounts.has(account.jid)) return false;
    this.accounts.set(account.jid, copyRecord(account));
    this.all.add(account.jid);
    this.domainKeys(domainOf(account.jid)).add(account.jid);
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
    this.all.delete(jid);
    const domain = domainOf(jid);
    const keys = this.byDomain.get(domain);
    keys?.delete(jid);
    if (keys?.size === 0) this.byDomain.delete(domain);
    return true;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<Account>> {
    this.life.assertOpen();
    checkLimit(opts.limit);
    const { after, limit, domain } = opts;
    const keys = domain === undefined ? this.all : this.byDomain.get(domain);
    if (!keys) return { items: [] };
    // One extra key tells whether another page follows.
    const jids = keys.slice(after, limit === undefined ? Infinity : limit + 1);
    const more = limit !== undefined && jids.length > limit;
    if (more) jids.length = limit;
    const items = jids.map((jid) => copyRecord(this.accounts.get(jid)!));
    const last = jids[jids.length - 1];
    return more && last !== undefined ? { items, next: last } : { items };
  }

  async count(domain?: string): Promise<number> {
    this.life.assertOpen();
    if (domain === undefined) return this.accounts.size;
    return this.byDomain.get(domain)?.size ?? 0;
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
    this.all.addMany(created);
    const perDomain = new Map<string, string[]>();
    for (const jid of created) {
      const domain = domainOf(jid);
      const list = perDomain.get(domain);
      if (list) list.push(jid);
      else perDomain.set(domain, [jid]);
    }
    for (const [domain, jids] of perDomain) this.domainKeys(domain).addMany(jids);
    return created.length;
  }

  private domainKeys(domain: string): SortedKeys {
    let keys = this.byDomain.get(domain);
    if (!keys) {
      keys = new SortedKeys();
      this.byDomain.set(domain, keys);
    }
    return keys;
  }
}
