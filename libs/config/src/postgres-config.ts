/**
 * `store.postgres`: the PostgreSQL database of the shared durable store,
 * its credentials (inline, from a file such as a mounted Kubernetes Secret,
 * or from PARLEY_STORE_POSTGRES_* variables) and TLS.
 */
import { secret, tlsPem } from './connection-security.js';
import { ConfigError } from './errors.js';
import { durationMs, int, oneOf, optionalStr, port, str } from './schema.js';
import type { TlsFilesConfig } from './security-types.js';
import type { Config, SchemaFor } from './types.js';

export type PostgresSslModeName = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresStoreConfig {
  /** `postgres://user:password@host:port/database`; overrides host/port/database/user/password. */
  url?: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  passwordFile?: string;
  /** Schema holding the tables (created and upgraded by `xmppctl postgres migrate`). */
  schema: string;
  poolSize: number;
  sslMode: PostgresSslModeName;
  tls: TlsFilesConfig;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export const postgresStoreSchema: SchemaFor<PostgresStoreConfig> = {
  url: optionalStr({
    doc: 'Connection URL (postgres://user:password@host:port/database); when set it replaces host, port, database, user and password, and an sslmode in it wins over store.postgres.sslMode.',
  }),
  host: str({ default: '127.0.0.1', doc: 'PostgreSQL server host name or address.' }),
  port: port({ default: 5432, doc: 'PostgreSQL server port.' }),
  database: str({ default: 'parley', doc: 'Database holding the schema.' }),
  user: str({ default: 'parley', doc: 'Database user.' }),
  password: optionalStr({
    doc: 'Password of store.postgres.user. Prefer passwordFile or PARLEY_STORE_POSTGRES_PASSWORD over a config file.',
  }),
  passwordFile: optionalStr({
    doc: 'Path of a file holding the password (e.g. a mounted Kubernetes Secret); surrounding whitespace is ignored. Exclusive with password.',
  }),
  schema: str({
    default: 'parley',
    doc: 'Schema holding the tables, created and upgraded by `xmppctl postgres migrate` ([a-z_][a-z0-9_]*).',
  }),
  poolSize: int({
    min: 1,
    max: 1000,
    default: 10,
    doc: 'Connections each process keeps open to PostgreSQL.',
  }),
  sslMode: oneOf(['disable', 'require', 'verify-ca', 'verify-full'], {
    default: 'disable',
    doc: "TLS to the server, as libpq's sslmode: disable, require (encrypted, certificate not checked), verify-ca (chain checked against tls.caFile), verify-full (chain and host name checked). Production: verify-full.",
  }),
  tls: {
    caFile: optionalStr({
      doc: 'PEM CA certificate(s) the server certificate must chain to (verify-ca, verify-full); unset = the system CAs.',
    }),
    certFile: optionalStr({
      doc: 'PEM client certificate, for servers that authenticate clients by certificate (pg_hba `cert`); needs keyFile.',
    }),
    keyFile: optionalStr({ doc: 'PEM private key of the client certificate.' }),
  },
  connectTimeoutMs: durationMs({
    min: 100,
    max: 600_000,
    default: 10_000,
    doc: 'Give up opening a connection after this long.',
  }),
  statementTimeoutMs: durationMs({
    min: 0,
    max: 3_600_000,
    default: 30_000,
    doc: 'Server-side limit per statement (statement_timeout); 0 = none.',
  }),
};

/** What the PostgreSQL store needs to connect; structurally `PostgresConnectionOptions` of @parley/store. */
export interface PostgresConnection {
  url?: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  schema: string;
  poolSize: number;
  ssl: { mode: PostgresSslModeName; ca?: string; cert?: string; key?: string };
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

function invalid(key: string, message: string): ConfigError {
  return new ConfigError('invalid-value', `${key}: ${message}`, { key });
}

/** Rules between the `store.postgres` keys, checked by loadConfig without reading files. */
export function checkPostgresConfig(p: PostgresStoreConfig): void {
  if (p.password !== undefined && p.passwordFile !== undefined) {
    throw invalid(
      'store.postgres.passwordFile',
      'cannot be combined with store.postgres.password (set one)',
    );
  }
  if ((p.tls.certFile === undefined) !== (p.tls.keyFile === undefined)) {
    const missing = p.tls.certFile === undefined ? 'certFile' : 'keyFile';
    const present = missing === 'keyFile' ? 'certFile' : 'keyFile';
    throw invalid(
      `store.postgres.tls.${missing}`,
      `required when store.postgres.tls.${present} is set`,
    );
  }
  if (p.sslMode === 'disable' && (p.tls.caFile !== undefined || p.tls.certFile !== undefined)) {
    throw invalid(
      'store.postgres.sslMode',
      'is disable, but TLS files are configured under store.postgres.tls',
    );
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(p.schema)) {
    throw invalid(
      'store.postgres.schema',
      `expected [a-z_][a-z0-9_]* (at most 63 characters), got ${JSON.stringify(p.schema)}`,
    );
  }
  if (p.url !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(p.url)) {
    throw invalid('store.postgres.url', 'expected a postgres:// or postgresql:// URL');
  }
}

/** Reads the password and PEM files of `store.postgres`. Throws ConfigError naming the key. */
export function postgresConnection(config: Pick<Config, 'store'>): PostgresConnection {
  const p = config.store.postgres;
  const password = secret('store.postgres', 'password', p.password, p.passwordFile);
  const pem = p.sslMode === 'disable' ? {} : tlsPem('store.postgres', p.tls);
  return {
    ...(p.url !== undefined ? { url: p.url } : {}),
    host: p.host,
    port: p.port,
    database: p.database,
    user: p.user,
    ...(password !== undefined ? { password } : {}),
    schema: p.schema,
    poolSize: p.poolSize,
    ssl: { mode: p.sslMode, ...pem },
    connectTimeoutMs: p.connectTimeoutMs,
    statementTimeoutMs: p.statementTimeoutMs,
  };
}
