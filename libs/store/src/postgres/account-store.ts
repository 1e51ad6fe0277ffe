import type { Account, AccountStore, ListPage, StoredCredentials } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid, checkLimit } from '../shared/validate.js';
import type { PgSession } from './session.js';
import { listPage, randomShard } from './util.js';

interface AccountRow {
  jid: string;
  credentials: StoredCredentials;
  created_at: number;
  banned: boolean | null;
}

/** Rows per statement of createMany. */
const IMPORT_CHUNK = 2000;

function toAccount(row: AccountRow): Account {
  return withoutUndefined({
    jid: row.jid,
    credentials: row.credentials,
    createdAt: row.created_at,
    banned: row.banned ?? undefined,
  });
}

/**
 * `accounts` plus `account_counts`: a create or delete changes the count
 * in the same statement (a data-modifying CTE), so the two never disagree.
 */
export class PostgresAccountStore implements AccountStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const accounts = db.table('accounts');
    const counts = db.table('account_counts');
    const bump = (source: string, delta: string) =>
      `INSERT INTO ${counts} (domain, shard, n) SELECT domain, $2::smallint, ${delta} FROM ${source}
       ON CONFLICT (domain, shard) DO UPDATE SET n = ${counts}.n + excluded.n`;
    this.q = {
      create: `WITH ins AS (
          INSERT INTO ${accounts} (jid, domain, credentials, created_at, banned)
          VALUES ($1, $3, $4, $5, $6) ON CONFLICT (jid) DO NOTHING RETURNING domain)
        ${bump('ins', '1')}`,
      get: `SELECT jid, credentials, created_at, banned FROM ${accounts} WHERE jid = $1`,
      update: `UPDATE ${accounts} SET credentials = $2, created_at = $3, banned = $4 WHERE jid = $1`,
      delete: `WITH del AS (DELETE FROM ${accounts} WHERE jid = $1 RETURNING domain)
        ${bump('del', '-1')}`,
      list: `SELECT jid, credentials, created_at, banned FROM ${accounts}
        WHERE jid > $1 ORDER BY jid LIMIT $2`,
      listDomain: `SELECT jid, credentials, created_at, banned FROM ${accounts}
        WHERE domain = $3 AND jid > $1 ORDER BY jid LIMIT $2`,
      count: `SELECT coalesce(sum(n), 0)::bigint AS n FROM ${counts}`,
      countDomain: `SELECT coalesce(sum(n), 0)::bigint AS n FROM ${counts} WHERE domain = $1`,
      createMany: `WITH ins AS (
          INSERT INTO ${accounts} (jid, domain, credentials, created_at, banned)
          SELECT * FROM unnest($1::text[], $3::text[], $4::jsonb[], $5::float8[], $6::bool[])
          ON CONFLICT (jid) DO NOTHING RETURNING domain),
        per AS (SELECT domain, count(*) AS n FROM ins GROUP BY domain),
        bump AS (INSERT INTO ${counts} (domain, shard, n) SELECT domain, $2::smallint, n FROM per
          ON CONFLICT (domain, shard) DO UPDATE SET n = ${counts}.n + excluded.n)
        SELECT coalesce(sum(n), 0)::bigint AS n FROM per`,
    };
  }

  async create(account: Account): Promise<boolean> {
    checkJid(account.jid);
    const r = await this.db.run('accounts.create', (q) =>
      q.query(this.q.create, [
        account.jid,
        randomShard(),
        domainOf(account.jid),
        JSON.stringify(account.credentials),
        account.createdAt,
        account.banned ?? null,
      ]),
    );
    return r.rowCount === 1;
  }

  async get(jid: string): Promise<Account | undefined> {
    checkJid(jid);
    const r = await this.db.run('accounts.get', (q) => q.query<AccountRow>(this.q.get, [jid]));
    const row = r.rows[0];
    return row && toAccount(row);
  }

  async update(account: Account): Promise<boolean> {
    checkJid(account.jid);
    const r = await this.db.run('accounts.update', (q) =>
      q.query(this.q.update, [
        account.jid,
        JSON.stringify(account.credentials),
        account.createdAt,
        account.banned ?? null,
      ]),
    );
    return r.rowCount === 1;
  }

  async delete(jid: string): Promise<boolean> {
    checkJid(jid);
    const r = await this.db.run('accounts.delete', (q) =>
      q.query(this.q.delete, [jid, randomShard()]),
    );
    return r.rowCount === 1;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<Account>> {
    checkLimit(opts.limit);
    return listPage(
      this.db,
      'accounts.list',
      opts,
      this.q.list,
      this.q.listDomain,
      (row: AccountRow) => toAccount(row),
    );
  }

  async count(domain?: string): Promise<number> {
    const r = await this.db.run('accounts.count', (q) =>
      domain === undefined
        ? q.query<{ n: string }>(this.q.count)
        : q.query<{ n: string }>(this.q.countDomain, [domain]),
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  async createMany(accounts: Account[]): Promise<number> {
    for (const account of accounts) checkJid(account.jid);
    const seen = new Set<string>();
    const unique = accounts.filter((a) => !seen.has(a.jid) && seen.add(a.jid));
    let created = 0;
    for (let i = 0; i < unique.length; i += IMPORT_CHUNK) {
      const chunk = unique.slice(i, i + IMPORT_CHUNK);
      const r = await this.db.run('accounts.createMany', (q) =>
        q.query<{ n: string }>(this.q.createMany, [
          chunk.map((a) => a.jid),
          randomShard(),
          chunk.map((a) => domainOf(a.jid)),
          chunk.map((a) => JSON.stringify(a.credentials)),
          chunk.map((a) => a.createdAt),
          chunk.map((a) => a.banned ?? null),
        ]),
      );
      for (const row of r.rows) created += Number(row.n);
    }
    return created;
  }
}
