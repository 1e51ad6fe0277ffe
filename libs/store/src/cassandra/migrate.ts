import { randomUUID } from 'node:crypto';
import { Client, types } from 'cassandra-driver';
import { deployDir, loadMigrationFiles, parseMigrationName } from '../shared/migration-files.js';
import { checkKeyspace, clientOptionsFor, type CassandraConnectionOptions } from './options.js';

/** Replication of a keyspace that migrate creates. */
export type CassandraReplication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; dataCenters: Record<string, number> };

export interface MigrateOptions extends CassandraConnectionOptions {
  /** Create the keyspace when it does not exist (otherwise its absence is an error). */
  createKeyspace?: boolean;
  /**
   * Replication of a keyspace created here. Default: NetworkTopologyStrategy
   * with 3 replicas in `localDataCenter`.
   */
  replication?: CassandraReplication;
  /** Directory of the `NNN_name.cql` files; default: the repository's deploy/cassandra. */
  dir?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
  /** How long to wait for another migration holding the lock (default 60 s). */
  lockTimeoutMs?: number;
}

export interface Migration {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file, recorded when applied. */
  checksum: string;
  statements: string[];
}

export interface MigrateResult {
  keyspace: string;
  createdKeyspace: boolean;
  /** Versions applied by this run, in order. */
  applied: number[];
  /** Versions that were applied before. */
  alreadyApplied: number[];
  /** Applied versions whose file changed since (a warning: applied migrations are never re-run). */
  changed: number[];
}

/** Bookkeeping tables, created in the keyspace before any migration runs. */
export const MIGRATIONS_TABLE = 'parley_schema_migrations';
export const LOCK_TABLE = 'parley_schema_lock';

/** `001_initial.cql` -> { version: 1, name: 'initial' }; undefined for other names. */
export function parseMigrationFileName(
  file: string,
): { version: number; name: string } | undefined {
  return parseMigrationName(file, 'cql');
}

/**
 * Splits a CQL script into statements at `;`, ignoring `--` and `//` line
 * comments, `/* *\/` block comments, and semicolons inside '…' strings,
 * "…" identifiers and $$…$$ literals. Comments are dropped; empty
 * statements are skipped.
 */
export function splitCqlStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const n = script.length;
  const push = () => {
    const s = current.trim();
    if (s !== '') statements.push(s);
    current = '';
  };
  while (i < n) {
    const c = script[i]!;
    const next = script[i + 1];
    if ((c === '-' && next === '-') || (c === '/' && next === '/')) {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated /* comment in CQL script');
      i = end + 2;
      current += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      // Quotes are escaped by doubling them, which this loop handles as two strings in a row.
      const end = script.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} quote in CQL script`);
      current += script.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (c === '$' && next === '$') {
      const end = script.indexOf('$$', i + 2);
      if (end < 0) throw new Error('unterminated $$ literal in CQL script');
      current += script.slice(i, end + 2);
      i = end + 2;
      continue;
    }
    if (c === ';') {
      push();
      i++;
      continue;
    }
    current += c;
    i++;
  }
  push();
  return statements;
}

/** The migrations in `dir`, ordered by version; duplicate versions are an error. */
export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  return loadMigrationFiles(dir, 'cql').map(({ text, ...m }) => ({
    ...m,
    statements: splitCqlStatements(text),
  }));
}

/**
 * deploy/cassandra of the checkout (or image) this module runs from: the
 * first such directory found walking up from this file. PARLEY_CASSANDRA_MIGRATIONS
 * overrides it.
 */
export function defaultMigrationsDir(): string {
  return deployDir('cassandra', 'PARLEY_CASSANDRA_MIGRATIONS');
}

/** The `replication = {...}` map of CREATE KEYSPACE. */
export function replicationClause(replication: CassandraReplication): string {
  const factor = (n: number) => {
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`invalid replication factor ${n}`);
    return String(n);
  };
  if (replication.class === 'SimpleStrategy') {
    return `{'class': 'SimpleStrategy', 'replication_factor': ${factor(replication.replicationFactor)}}`;
  }
  const dcs = Object.entries(replication.dataCenters);
  if (dcs.length === 0) throw new Error('NetworkTopologyStrategy needs at least one datacenter');
  const entries = dcs.map(([dc, n]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(dc)) throw new Error(`invalid datacenter name ${dc}`);
    return `'${dc}': ${factor(n)}`;
  });
  return `{'class': 'NetworkTopologyStrategy', ${entries.join(', ')}}`;
}

const SERIAL = {
  consistency: types.consistencies.localQuorum,
  serialConsistency: types.consistencies.localSerial,
};

/**
 * Brings the keyspace's schema up to date: creates the keyspace if asked,
 * creates the bookkeeping table, then applies every migration not recorded
 * in it, in version order, recording each after its last statement. Each
 * migration's statements are idempotent (CREATE ... IF NOT EXISTS), so a
 * run interrupted half-way is simply run again. A lightweight-transaction
 * lock keeps two runs from changing the schema at the same time.
 */
export async function migrateCassandra(options: MigrateOptions): Promise<MigrateResult> {
  checkKeyspace(options.keyspace);
  const keyspace = options.keyspace;
  const log = options.log ?? (() => undefined);
  const migrations = loadMigrations(options.dir);
  const client = new Client(clientOptionsFor(options, false));
  try {
    await client.connect();
    const exists =
      (
        await client.execute(
          'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
          [keyspace],
          { prepare: true },
        )
      ).rows.length > 0;
    let createdKeyspace = false;
    if (!exists) {
      if (!options.createKeyspace) {
        throw new Error(
          `keyspace ${keyspace} does not exist (create it, or migrate with --create-keyspace)`,
        );
      }
      const replication = options.replication ?? {
        class: 'NetworkTopologyStrategy',
        dataCenters: { [options.localDataCenter ?? 'datacenter1']: 3 },
      };
      log(`creating keyspace ${keyspace} with replication ${replicationClause(replication)}`);
      await ddl(
        client,
        `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationClause(replication)}`,
      );
      createdKeyspace = true;
    }
    await client.execute(`USE ${keyspace}`);
    await ddl(
      client,
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
    );
    await ddl(
      client,
      `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (name text PRIMARY KEY, owner text, since timestamp)`,
    );

    const owner = randomUUID();
    await acquireLock(client, owner, options.lockTimeoutMs ?? 60_000, log);
    try {
      const rows = (
        await client.execute(`SELECT version, checksum FROM ${MIGRATIONS_TABLE}`, [], {
          prepare: true,
          ...SERIAL,
        })
      ).rows;
      const done = new Map(rows.map((r) => [Number(r.get('version')), String(r.get('checksum'))]));
      const result: MigrateResult = {
        keyspace,
        createdKeyspace,
        applied: [],
        alreadyApplied: [],
        changed: [],
      };
      for (const m of migrations) {
        const recorded = done.get(m.version);
        if (recorded !== undefined) {
          result.alreadyApplied.push(m.version);
          if (recorded !== m.checksum) {
            result.changed.push(m.version);
            log(`warning: ${m.file} changed after it was applied (it is not run again)`);
          }
          continue;
        }
        log(`applying ${m.version}_${m.name} (${m.statements.length} statements)`);
        for (const statement of m.statements) await ddl(client, statement);
        await client.execute(
          `INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
          [m.version, m.name, m.checksum, new Date()],
          { prepare: true, ...SERIAL },
        );
        result.applied.push(m.version);
      }
      return result;
    } finally {
      await client
        .execute(`DELETE FROM ${LOCK_TABLE} WHERE name = 'migrate' IF owner = ?`, [owner], {
          prepare: true,
          ...SERIAL,
        })
        .catch(() => undefined);
    }
  } finally {
    await client.shutdown();
  }
}

/** Runs a schema statement and waits until every node agrees on the schema. */
async function ddl(client: Client, statement: string): Promise<void> {
  const rs = await client.execute(statement, [], SERIAL);
  // Both exist at run time (cassandra-driver 4.x) but are missing from its typings.
  const info = rs.info as { isSchemaInAgreement?: boolean };
  if (info.isSchemaInAgreement !== false) return;
  const metadata = client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
  for (let i = 0; i < 30; i++) {
    if (await metadata.checkSchemaAgreement()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no schema agreement after: ${statement.slice(0, 80)}`);
}

async function acquireLock(
  client: Client,
  owner: string,
  timeoutMs: number,
  log: (message: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The TTL frees the lock if this process dies while holding it.
    const rs = await client.execute(
      `INSERT INTO ${LOCK_TABLE} (name, owner, since) VALUES ('migrate', ?, ?) IF NOT EXISTS USING TTL 600`,
      [owner, new Date()],
      { prepare: true, ...SERIAL },
    );
    if (rs.wasApplied()) return;
    const holder = String(rs.first()?.get('owner') ?? 'unknown');
    if (Date.now() >= deadline) {
      throw new Error(`another migration holds the lock (owner ${holder}); try again later`);
    }
    log(`waiting for the migration lock (held by ${holder})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/**
 * Drops a keyspace (tests create throwaway keyspaces with migrate and drop
 * them with this). The name is checked like every keyspace name.
 */
export async function dropCassandraKeyspace(options: CassandraConnectionOptions): Promise<void> {
  checkKeyspace(options.keyspace);
  const client = new Client(clientOptionsFor(options, false));
  try {
    await client.connect();
    await ddl(client, `DROP KEYSPACE IF EXISTS ${options.keyspace}`);
  } finally {
    await client.shutdown();
  }
}
