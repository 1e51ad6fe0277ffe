import type { Account, AccountStore, ListPage } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { listByJid } from './jid-listing.js';
import { checkKeySize } from './keys.js';

const TOTAL = ['total'];
const domainCountKey = (domain: string) => ['domain', domain];

/**
 * accounts: jid -> Account; accounts-by-domain: [domain, jid] -> true;
 * account-counts: ['total'] and ['domain', d] -> count, maintained in the same
 * transaction as every create/delete so count() is a single read.
 */
export class LmdbAccountStore implements AccountStore {
  constructor(private readonly env: LmdbEnv) {}

  async create(account: Account): Promise<boolean> {
    checkAccountJid(account.jid);
    const record = withoutUndefined(account);
    return this.env.write('accounts.create', () => {
      if (this.env.dbs.accounts.doesExist(account.jid)) return false;
      this.insert(record);
      this.addToCounts(domainOf(account.jid), 1);
      return true;
    });
  }

  async get(jid: string): Promise<Account | undefined> {
    checkAccountJid(jid);
    return this.env.read('accounts.get', (snapshot) => this.env.dbs.accounts.get(jid, snapshot));
  }

  async update(account: Account): Promise<boolean> {
    checkAccountJid(account.jid);
    const record = withoutUndefined(account);
    return this.env.write('accounts.update', () => {
      if (!this.env.dbs.accounts.doesExist(account.jid)) return false;
      void this.env.dbs.accounts.put(account.jid, record);
      return true;
    });
  }

  async delete(jid: string): Promise<boolean> {
    checkAccountJid(jid);
    return this.env.write('accounts.delete', () => {
      const { accounts, accountsByDomain } = this.env.dbs;
      if (!accounts.doesExist(jid)) return false;
      const domain = domainOf(jid);
      void accounts.remove(jid);
      void accountsByDomain.remove([domain, jid]);
      this.addToCounts(domain, -1);
      return true;
    });
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<Account>> {
    const { accounts, accountsByDomain } = this.env.dbs;
    return this.env.read('accounts.list', (snapshot) =>
      listByJid(
        snapshot,
        {
          records: accounts,
          byDomain: accountsByDomain,
          tableName: 'accounts',
          indexName: 'accounts-by-domain',
        },
        opts,
      ),
    );
  }

  async count(domain?: string): Promise<number> {
    if (domain !== undefined) checkKeySize(domain);
    const key = domain === undefined ? TOTAL : domainCountKey(domain);
    return this.env.read(
      'accounts.count',
      (snapshot) => this.env.dbs.accountCounts.get(key, snapshot) ?? 0,
    );
  }

  async createMany(accounts: Account[]): Promise<number> {
    for (const account of accounts) checkAccountJid(account.jid);
    const records = accounts.map((account) => withoutUndefined(account));
    return this.env.write('accounts.createMany', () => {
      const added = new Map<string, number>();
      let created = 0;
      for (const record of records) {
        // Sees this batch's own earlier puts, so in-batch duplicates are skipped too.
        if (this.env.dbs.accounts.doesExist(record.jid)) continue;
        this.insert(record);
        const domain = domainOf(record.jid);
        added.set(domain, (added.get(domain) ?? 0) + 1);
        created++;
      }
      for (const [domain, n] of added) this.addToCounts(domain, n);
      return created;
    });
  }

  private insert(record: Account): void {
    void this.env.dbs.accounts.put(record.jid, record);
    void this.env.dbs.accountsByDomain.put([domainOf(record.jid), record.jid], true);
  }

  /** Inside a write transaction: adjusts the total and the domain's count. */
  private addToCounts(domain: string, delta: number): void {
    const counts = this.env.dbs.accountCounts;
    for (const key of [TOTAL, domainCountKey(domain)]) {
      const next = (counts.get(key) ?? 0) + delta;
      if (next > 0) void counts.put(key, next);
      else void counts.remove(key);
    }
  }
}

function checkAccountJid(jid: string): void {
  checkJid(jid);
  checkKeySize(domainOf(jid), jid);
}
