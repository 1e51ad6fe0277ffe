import pg from 'pg';
import { deployDir, loadMigrationFiles, parseMigrationName } from '../shared/migration-files.js';
import { poolConfigFor, schemaOf, type PostgresConnectionOptions } from './options.js';

export interface PostgresMigration {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file, recorded when applied. */
  checksum: string;
  sql: string;
}

export interface PostgresMigrateOptions extends PostgresConnectionOptions {
  /** Directory of `NNN_name.sql` files (default: deploy/postgres). */
  dir?: string;
  log?: (message: string) => void;
}

export interface PostgresMigrateResult {
  schema: string;
  applied: number[];
  alreadyApplied: number[];
  /** Applied versions whose file changed since (reported, never re-run). */
  changed: number[];
}

export function parsePgMigrationFileName(
  file: string,
): { version: number; name: string } | undefined {
  return parseMigrationName(file, 'sql');
}

/** The migrations of `dir` in version order; a stray .sql name or a repeated version is an error. */
export function loadPgMigrations(dir: string = defaultPgMigrationsDir()): PostgresMigration[] {
  return loadMigrationFiles(dir, 'sql').map(({ text, ...m }) => ({ ...m, sql: text }));
}

/**
 * `PARLEY_POSTGRES_MIGRATIONS`, else the first `deploy/postgres` above this
 * module (the repository, or /app in the container image).
 */
export function defaultPgMigrationsDir(): string {
  return deployDir('postgres', 'PARLEY_POSTGRES_MIGRATIONS');
}

/** Key of the advisory lock that keeps two migrate runs apart (any 64-bit constant). */
const LOCK_KEY = '7263450926104117';

/**
 * Brings `schema` up to date: creates it if absent, takes a session
 * advisory lock (so concurrent runs wait for each other), and applies every
 * migration not yet recorded in `<schema>.parley_schema_migrations`, each in
 * its own transaction together with its record (PostgreSQL DDL is
 * transactional: a failed migration leaves nothing behind).
 */
export async function migratePostgres(
  opts: PostgresMigrateOptions,
): Promise<PostgresMigrateResult> {
  const schema = schemaOf(opts);
  const log = opts.log ?? (() => undefined);
  const migrations = loadPgMigrations(opts.dir);
  const client = new pg.Client(poolConfigFor({ ...opts, statementTimeoutMs: 0 }));
  await client.connect();
  const result: PostgresMigrateResult = { schema, applied: [], alreadyApplied: [], changed: [] };
  try {
    await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".parley_schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = await client.query<{ version: number; checksum: string }>(
        `SELECT version, checksum FROM "${schema}".parley_schema_migrations`,
      );
      const applied = new Map(done.rows.map((r) => [r.version, r.checksum]));
      for (const m of migrations) {
        const checksum = applied.get(m.version);
        if (checksum !== undefined) {
          result.alreadyApplied.push(m.version);
          if (checksum !== m.checksum) result.changed.push(m.version);
          continue;
        }
        log(`applying ${m.file} to schema ${schema}`);
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO "${schema}"`);
          await client.query(m.sql);
          await client.query(
            `INSERT INTO "${schema}".parley_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
            [m.version, m.name, m.checksum],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.file} failed: ${(err as Error).message}`, { cause: err });
        }
        result.applied.push(m.version);
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return result;
}

/** Drops the schema and everything in it (tests). */
export async function dropPostgresSchema(opts: PostgresConnectionOptions): Promise<void> {
  const schema = schemaOf(opts);
  const client = new pg.Client(poolConfigFor(opts));
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
