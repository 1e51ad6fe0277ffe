import type { Account, AccountStore, ListPage, StoredCredentials } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession, Row, Statement } from './session.js';
import { ShardedIndex } from './sharded-index.js';
import { mapLimit, optionalNumber, parseJson, requireString, toNumber } from './util.js';

/** Counter row of all accounts; per-domain rows are keyed '@' + domain. */
const TOTAL = 'all';
const scopeOf = (domain: string) => `@${domain}`;

/**
 * Tables: `accounts` (jid -> record), the sharded listing
 * `accounts_by_shard` / `accounts_by_domain`, and `account_counts` (counters).
 *
 * - `create` is `INSERT ... IF NOT EXISTS` (a lightweight transaction on the
 *   account's own partition, so it never contends with other accounts).
 *   The index rows are written *before* it: they are idempotent, and a
 *   listing skips index rows without an account, so a crash in between
 *   leaves nothing visible. Counters move only when the insert applied.
 * - `update` is `UPDATE ... IF EXISTS` and `delete` is `DELETE ... IF EXISTS`,
 *   which tell exactly whether the account existed. `delete` removes the
 *   index rows after the account.
 * - Counters cannot join a transaction: a crash between the account write
 *   and the counter update leaves `count` off by one (see README).
 */
export class CassandraAccountStore implements AccountStore {
  private readonly index: ShardedIndex;
  private readonly q: Record<'insert' | 'select' | 'update' | 'delete' | 'count' | 'bump', string>;

  constructor(private readonly session: CqlSession) {
    const t = session.table('accounts');
    const counts = session.table('account_counts');
    this.index = new ShardedIndex(session, 'accounts_by_shard', 'accounts_by_domain');
    this.q = {
      insert: `INSERT INTO ${t} (jid, created_at, banned, credentials) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
      select: `SELECT jid, created_at, banned, credentials FROM ${t} WHERE jid = ?`,
      update: `UPDATE ${t} SET created_at = ?, banned = ?, credentials = ? WHERE jid = ? IF EXISTS`,
      delete: `DELETE FROM ${t} WHERE jid = ? IF EXISTS`,
      count: `SELECT n FROM ${counts} WHERE scope = ?`,
      bump: `UPDATE ${counts} SET n = n + ? WHERE scope = ?`,
    };
  }

  async create(account: Account): Promise<boolean> {
    this.session.life.assertOpen();
    checkJid(account.jid);
    const created = await this.insert(account);
    if (created) await this.bumpCounts(new Map([[domainOf(account.jid), 1]]), 'create');
    return created;
  }

  async get(jid: string): Promise<Account | undefined> {
    this.session.life.assertOpen();
    checkJid(jid);
    const [row] = await this.session.read('accounts.get', this.q.select, [jid]);
    return row && decodeAccount(row);
  }

  async update(account: Account): Promise<boolean> {
    this.session.life.assertOpen();
    checkJid(account.jid);
    const { applied } = await this.session.cas('accounts.update', this.q.update, [
      account.createdAt,
      account.banned ?? null,
      JSON.stringify(account.credentials),
      account.jid,
    ]);
    return applied;
  }

  async delete(jid: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkJid(jid);
    const { applied } = await this.session.cas('accounts.delete', this.q.delete, [jid]);
    if (!applied) return false;
    await this.session.batch('accounts.delete', this.index.deleteStatements(jid), 'unlogged');
    await this.bumpCounts(new Map([[domainOf(jid), -1]]), 'delete');
    return true;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<Account>> {
    this.session.life.assertOpen();
    return this.index.page('accounts.list', opts, (jids) =>
      mapLimit(jids, 32, async (jid) => {
        const [row] = await this.session.read('accounts.list', this.q.select, [jid]);
        return row && decodeAccount(row);
      }),
    );
  }

  async count(domain?: string): Promise<number> {
    this.session.life.assertOpen();
    const scope = domain === undefined ? TOTAL : scopeOf(domain);
    const [row] = await this.session.read('accounts.count', this.q.count, [scope]);
    const n = row ? (optionalNumber(row.get('n'), 'account_counts.n') ?? 0) : 0;
    return Math.max(0, n);
  }

  async createMany(accounts: Account[]): Promise<number> {
    this.session.life.assertOpen();
    for (const account of accounts) checkJid(account.jid);
    // The first occurrence of a jid wins, as in the other backends.
    const unique = new Map<string, Account>();
    for (const account of accounts) if (!unique.has(account.jid)) unique.set(account.jid, account);
    const created = await mapLimit([...unique.values()], 64, (a) => this.insert(a));
    const perDomain = new Map<string, number>();
    let n = 0;
    [...unique.keys()].forEach((jid, i) => {
      if (!created[i]) return;
      n++;
      const domain = domainOf(jid);
      perDomain.set(domain, (perDomain.get(domain) ?? 0) + 1);
    });
    await this.bumpCounts(perDomain, 'createMany');
    return n;
  }

  /**
   * Index rows first, then the conditional insert of the record. The index
   * batch is unlogged: a partial index write only leaves dangling rows,
   * which listings skip.
   */
  private async insert(account: Account): Promise<boolean> {
    await this.session.batch(
      'accounts.create',
      this.index.insertStatements(account.jid),
      'unlogged',
    );
    const { applied } = await this.session.cas('accounts.create', this.q.insert, [
      account.jid,
      account.createdAt,
      account.banned ?? null,
      JSON.stringify(account.credentials),
    ]);
    return applied;
  }

  private async bumpCounts(perDomain: Map<string, number>, operation: string): Promise<void> {
    let total = 0;
    const statements: Statement[] = [];
    for (const [domain, delta] of perDomain) {
      if (delta === 0) continue;
      total += delta;
      statements.push({ query: this.q.bump, params: [delta, scopeOf(domain)] });
    }
    if (statements.length === 0) return;
    statements.push({ query: this.q.bump, params: [total, TOTAL] });
    await this.session.batch(`accounts.${operation}`, statements, 'counter');
  }
}

function decodeAccount(row: Row): Account {
  const jid = requireString(row.get('jid'), 'accounts.jid');
  const banned = row.get('banned') as unknown;
  const account: Account = {
    jid,
    credentials: parseJson<StoredCredentials>(row.get('credentials'), 'accounts.credentials'),
    createdAt: toNumber(row.get('created_at'), 'accounts.created_at'),
  };
  if (typeof banned === 'boolean') account.banned = banned;
  return account;
}
