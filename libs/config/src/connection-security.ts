/**
 * Credentials and TLS material of the links between processes (NATS, Redis,
 * Cassandra): the checks that need no file (run by loadConfig), and the
 * resolution that reads the secret and PEM files (run by a process before
 * it connects). Both throw ConfigError naming the key at fault.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ConfigError } from './errors.js';
import { show } from './schema.js';
import type { TlsFilesConfig } from './security-types.js';
import type { Config } from './types.js';

/** PEM text of a TLS client's trust anchor and optional client certificate. */
export interface TlsPem {
  ca?: string;
  cert?: string;
  key?: string;
}

/** What a NATS client needs to authenticate and encrypt; structurally `NatsAuthOptions` of @parley/bus. */
export interface NatsConnectionSecurity {
  token?: string;
  user?: string;
  pass?: string;
  /** NKey seed of the user (`SU...`). */
  nkeySeed?: string;
  /** Contents of a `.creds` file. */
  creds?: string;
  /** Present when TLS is required (tls:// URL or a TLS file configured). */
  tls?: TlsPem;
}

/** ioredis connection options for authentication and TLS. */
export interface RedisConnectionSecurity {
  username?: string;
  password?: string;
  /** Present when TLS is on (rediss:// URL or a TLS file configured). */
  tls?: TlsPem;
}

function invalid(key: string, message: string): ConfigError {
  return new ConfigError('invalid-value', `${key}: ${message}`, { key });
}

function has(value: string | undefined): value is string {
  return value !== undefined;
}

/** `key` and `key + 'File'` may not both be set. */
function exclusive(section: string, key: string, values: Record<string, string | undefined>): void {
  if (has(values[key]) && has(values[`${key}File`])) {
    throw invalid(`${section}.${key}File`, `cannot be combined with ${section}.${key} (set one)`);
  }
}

function checkTlsFiles(section: string, tls: TlsFilesConfig): void {
  if (has(tls.certFile) !== has(tls.keyFile)) {
    const missing = has(tls.certFile) ? 'keyFile' : 'certFile';
    const present = missing === 'keyFile' ? 'certFile' : 'keyFile';
    throw invalid(`${section}.tls.${missing}`, `required when ${section}.tls.${present} is set`);
  }
}

const NATS_URL = /^(?:(nats|tls):\/\/)?[^\s/:]+(?::\d+)?\/?$/;

/** Rules between the security keys, checked by loadConfig without reading files. */
export function checkConnectionSecurity(config: Config): void {
  const n = config.bus.nats;
  const values = n as unknown as Record<string, string | undefined>;
  for (const key of ['token', 'password', 'nkeySeed']) exclusive('bus.nats', key, values);
  const methods = [
    ['token', has(n.token) || has(n.tokenFile)],
    ['user', has(n.user) || has(n.password) || has(n.passwordFile)],
    ['nkeySeed', has(n.nkeySeed) || has(n.nkeySeedFile)],
    ['credsFile', has(n.credsFile)],
  ] as const;
  const chosen = methods.filter(([, on]) => on).map(([name]) => `bus.nats.${name}`);
  if (chosen.length > 1) {
    throw invalid(
      chosen[1]!,
      `cannot be combined with ${chosen[0]}: configure one NATS authentication method`,
    );
  }
  if (has(n.user) && !has(n.password) && !has(n.passwordFile)) {
    throw invalid(
      'bus.nats.password',
      'required when bus.nats.user is set (or bus.nats.passwordFile)',
    );
  }
  if (!has(n.user) && (has(n.password) || has(n.passwordFile))) {
    throw invalid('bus.nats.user', 'required when a NATS password is set');
  }
  checkTlsFiles('bus.nats', n.tls);
  for (const url of natsUrls(config.bus.natsUrl)) {
    if (!NATS_URL.test(url)) {
      throw invalid(
        'bus.natsUrl',
        `expected nats://host:port or tls://host:port URLs separated by commas, got ${show(url)}`,
      );
    }
  }

  const r = config.redis;
  if (!/^rediss?:\/\/\S+$/.test(r.url) || !URL.canParse(r.url)) {
    throw invalid('redis.url', `expected a redis:// or rediss:// URL, got ${show(r.url)}`);
  }
  exclusive('redis', 'password', r as unknown as Record<string, string | undefined>);
  if (has(r.username) && !has(r.password) && !has(r.passwordFile)) {
    throw invalid('redis.password', 'required when redis.username is set (or redis.passwordFile)');
  }
  checkTlsFiles('redis', r.tls);
  const c = config.store.cassandra;
  exclusive('store.cassandra', 'password', c as unknown as Record<string, string | undefined>);
  checkTlsFiles('store.cassandra', c.tls);
}

function natsUrls(urls: string): string[] {
  return urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

function readFile(key: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError('bad-file', `${key}: cannot read ${path}: ${reason}`, { key, cause });
  }
  if (text.trim() === '') throw new ConfigError('bad-file', `${key}: ${path} is empty`, { key });
  return text;
}

/** An inline secret, or the trimmed contents of its file. */
export function secret(
  section: string,
  key: string,
  inline: string | undefined,
  file: string | undefined,
): string | undefined {
  if (inline !== undefined) return inline;
  return file === undefined ? undefined : readFile(`${section}.${key}File`, file).trim();
}

function pem(section: string, key: keyof TlsFilesConfig, path: string | undefined, marker: RegExp) {
  if (path === undefined) return undefined;
  const text = readFile(`${section}.tls.${key}`, path);
  if (!marker.test(text)) {
    throw new ConfigError(
      'bad-file',
      `${section}.tls.${key}: ${path} is not a PEM ${key === 'keyFile' ? 'private key' : 'certificate'}`,
      { key: `${section}.tls.${key}` },
    );
  }
  return text;
}

export function tlsPem(section: string, tls: TlsFilesConfig): TlsPem {
  const out: TlsPem = {};
  const ca = pem(section, 'caFile', tls.caFile, /-----BEGIN CERTIFICATE-----/);
  const cert = pem(section, 'certFile', tls.certFile, /-----BEGIN CERTIFICATE-----/);
  const key = pem(section, 'keyFile', tls.keyFile, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}

function anyFile(tls: TlsFilesConfig): boolean {
  return has(tls.caFile) || has(tls.certFile) || has(tls.keyFile);
}

/** Reads the NATS secrets and PEM files of `bus.nats`. Throws ConfigError. */
export function natsConnectionSecurity(config: Pick<Config, 'bus'>): NatsConnectionSecurity {
  const n = config.bus.nats;
  const out: NatsConnectionSecurity = {};
  const token = secret('bus.nats', 'token', n.token, n.tokenFile);
  if (token !== undefined) out.token = token;
  if (n.user !== undefined) {
    out.user = n.user;
    const pass = secret('bus.nats', 'password', n.password, n.passwordFile);
    if (pass !== undefined) out.pass = pass;
  }
  const seed = secret('bus.nats', 'nkeySeed', n.nkeySeed, n.nkeySeedFile);
  if (seed !== undefined) {
    if (!/^SU[A-Z2-7]{56}$/.test(seed)) {
      const key = n.nkeySeed !== undefined ? 'bus.nats.nkeySeed' : 'bus.nats.nkeySeedFile';
      throw invalid(key, 'expected the NKey seed of a NATS user (58 characters starting with SU)');
    }
    out.nkeySeed = seed;
  }
  if (n.credsFile !== undefined) {
    const creds = readFile('bus.nats.credsFile', n.credsFile);
    if (!/-----BEGIN NATS USER JWT-----/.test(creds) || !/\bSU[A-Z2-7]{56}\b/.test(creds)) {
      throw new ConfigError(
        'bad-file',
        `bus.nats.credsFile: ${n.credsFile} is not a NATS .creds file (user JWT and NKey seed)`,
        { key: 'bus.nats.credsFile' },
      );
    }
    out.creds = creds;
  }
  const tlsUrl = natsUrls(config.bus.natsUrl).some((u) => u.startsWith('tls://'));
  if (tlsUrl || anyFile(n.tls)) out.tls = tlsPem('bus.nats', n.tls);
  return out;
}

/** Reads the Redis secret and PEM files of `redis`. Throws ConfigError. */
export function redisConnectionSecurity(config: Pick<Config, 'redis'>): RedisConnectionSecurity {
  const r = config.redis;
  const out: RedisConnectionSecurity = {};
  if (r.username !== undefined) out.username = r.username;
  const password = secret('redis', 'password', r.password, r.passwordFile);
  if (password !== undefined) out.password = password;
  if (r.url.startsWith('rediss://') || anyFile(r.tls)) out.tls = tlsPem('redis', r.tls);
  return out;
}

/** cassandra-driver `sslOptions` for `store.cassandra.tls`, or undefined when TLS is off. */
export function cassandraSslOptions(
  config: Pick<Config, 'store'>,
): TlsConnectionOptions | undefined {
  const t = config.store.cassandra.tls;
  if (!t.enabled && !anyFile(t)) return undefined;
  const pems = tlsPem('store.cassandra', t);
  return {
    ...(pems.ca !== undefined ? { ca: [pems.ca] } : {}),
    ...(pems.cert !== undefined ? { cert: pems.cert } : {}),
    ...(pems.key !== undefined ? { key: pems.key } : {}),
    rejectUnauthorized: true,
    ...(t.verifyServerName ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** `store.cassandra` with the password read from its file and the TLS options built. */
export type CassandraConnection = Omit<
  Config['store']['cassandra'],
  'password' | 'passwordFile'
> & {
  password?: string;
  clientOptions?: { sslOptions: TlsConnectionOptions };
};

/** The Cassandra connection of `store.cassandra`, secrets and PEM files read. Throws ConfigError. */
export function cassandraConnection(config: Pick<Config, 'store'>): CassandraConnection {
  const { password: inline, passwordFile, ...rest } = config.store.cassandra;
  const password = secret('store.cassandra', 'password', inline, passwordFile);
  const sslOptions = cassandraSslOptions(config);
  return {
    ...rest,
    ...(password !== undefined ? { password } : {}),
    ...(sslOptions !== undefined ? { clientOptions: { sslOptions } } : {}),
  };
}
