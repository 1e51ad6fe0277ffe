import type { ConnectionOptions } from 'node:tls';
import type { Pool, PoolConfig } from 'pg';

/**
 * TLS towards the server, as libpq's sslmode: `disable` (plain TCP),
 * `require` (encrypted, certificate not checked), `verify-ca` (the chain is
 * checked against `ca`), `verify-full` (chain and host name checked).
 */
export type PostgresSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** How to reach the server (used by the stores and by migrate). */
export interface PostgresConnectionOptions {
  /**
   * `postgres://user:password@host:port/database?...`. Fields given below
   * fill in what the URL leaves out; TLS settings in the URL (`sslmode`)
   * take precedence over `ssl`.
   */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Schema holding Parley's tables ([a-z_][a-z0-9_]{0,62}); default `parley`. */
  schema?: string;
  ssl?: {
    mode: PostgresSslMode;
    /** PEM CA certificate(s) the server's chain must lead to (verify-ca, verify-full). */
    ca?: string;
    /** PEM client certificate and key, for servers that authenticate clients by certificate. */
    cert?: string;
    key?: string;
  };
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Server-side limit per statement (default 30 s; 0 = none). */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity (default `parley`). */
  applicationName?: string;
}

export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /**
   * An existing pool to use instead of creating one from the options above;
   * `close()` does not end it.
   */
  pool?: Pool;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are interpolated into SQL, so only plain lower-case identifiers are accepted. */
export function checkSchema(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA.test(schema)) {
    throw new Error(
      `invalid PostgreSQL schema ${JSON.stringify(schema)}: use 1-63 characters of [a-z0-9_], not starting with a digit`,
    );
  }
}

export function schemaOf(opts: PostgresConnectionOptions): string {
  const schema = opts.schema ?? 'parley';
  checkSchema(schema);
  return schema;
}

function tlsOptions(ssl: NonNullable<PostgresConnectionOptions['ssl']>): false | ConnectionOptions {
  if (ssl.mode === 'disable') return false;
  const base: ConnectionOptions = {
    ...(ssl.ca !== undefined ? { ca: ssl.ca } : {}),
    ...(ssl.cert !== undefined ? { cert: ssl.cert } : {}),
    ...(ssl.key !== undefined ? { key: ssl.key } : {}),
  };
  if (ssl.mode === 'require') return { ...base, rejectUnauthorized: false };
  if (ssl.mode === 'verify-ca') {
    return { ...base, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  return { ...base, rejectUnauthorized: true };
}

/** node-postgres pool settings for a connection. */
export function poolConfigFor(opts: PostgresConnectionOptions): PoolConfig {
  const poolSize = opts.poolSize ?? 10;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new Error(`PostgreSQL poolSize must be a positive integer, got ${poolSize}`);
  }
  if (opts.url === undefined && opts.host === undefined) {
    throw new Error('PostgreSQL: give a url or a host');
  }
  const statementTimeout = opts.statementTimeoutMs ?? 30_000;
  return {
    ...(opts.url !== undefined ? { connectionString: opts.url } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.database !== undefined ? { database: opts.database } : {}),
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.ssl !== undefined ? { ssl: tlsOptions(opts.ssl) } : {}),
    max: poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    application_name: opts.applicationName ?? 'parley',
  };
}
