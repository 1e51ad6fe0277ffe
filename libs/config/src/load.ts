import { readFileSync } from 'node:fs';
import { ENV_ALIASES, configSchema } from './config-schema.js';
import { checkBosh } from './bosh-schema.js';
import { checkShaper } from './shaper-schema.js';
import { checkConnectionSecurity } from './connection-security.js';
import { defaultConfig } from './defaults.js';
import { checkPostgresConfig } from './postgres-config.js';
import { ConfigError } from './errors.js';
import { FieldValueError, show } from './schema.js';
import type { Field } from './schema.js';
import { removedKeyMessage } from './removed-keys.js';
import { envNameFor, isField, schemaLeaves, setAt } from './schema-walk.js';
import type { SchemaLeaf } from './schema-walk.js';
import type { Config, DeepPartial } from './types.js';

export interface LoadConfigOptions {
  /** JSON file to read; defaults to `$PARLEY_CONFIG`. No file at all means defaults. */
  file?: string;
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Applied last, validated like file values. */
  overrides?: DeepPartial<Config>;
}

/**
 * Builds the configuration: defaults, then the JSON file, then conventional
 * environment variables (NATS_URL, REDIS_URL, GATEWAY_ID, NODE_ID), then
 * PARLEY_<SECTION>_<KEY> variables, then `overrides`. Throws ConfigError.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const file = opts.file ?? nonEmpty(env['PARLEY_CONFIG']);
  if (file !== undefined) {
    applyJson(config, configSchema, readConfigFile(file), [], `in ${file}`);
  }
  applyEnv(config, env);
  if (opts.overrides !== undefined) {
    applyJson(config, configSchema, opts.overrides, [], 'in overrides');
  }
  checkConsistency(config as unknown as Config);
  return config as unknown as Config;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError('bad-file', `cannot read configuration file ${file}: ${reason}`, {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      'bad-file',
      `configuration file ${file} is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError('bad-file', `configuration file ${file} must hold a JSON object`);
  }
  return parsed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseWith<T>(key: string, origin: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (!(cause instanceof FieldValueError)) throw cause;
    // List item errors start with "[i]: " and attach to the key without a separator.
    const sep = cause.message.startsWith('[') ? '' : ': ';
    throw new ConfigError('invalid-value', `${key}${sep}${cause.message} (${origin})`, {
      key,
      cause,
    });
  }
}

function applyJson(
  target: Record<string, unknown>,
  schema: object,
  source: unknown,
  path: readonly string[],
  origin: string,
): void {
  if (!isPlainObject(source)) {
    const key = path.join('.');
    throw new ConfigError(
      'invalid-value',
      `${key}: expected an object, got ${show(source)} (${origin})`,
      { key },
    );
  }
  for (const [name, value] of Object.entries(source)) {
    const childPath = [...path, name];
    const key = childPath.join('.');
    const node = Object.hasOwn(schema, name)
      ? (schema as Record<string, unknown>)[name]
      : undefined;
    if (node === undefined) {
      const removed = removedKeyMessage(key);
      if (removed !== undefined)
        throw new ConfigError('unknown-key', `${removed} (${origin})`, { key });
      throw new ConfigError('unknown-key', `${key}: unknown configuration key (${origin})`, {
        key,
      });
    }
    if (value === undefined) continue;
    if (isField(node)) {
      const parsed = parseWith(key, origin, () => node.fromJson(value));
      setAt(target, childPath, parsed);
    } else {
      applyJson(target, node as object, value, childPath, origin);
    }
  }
}

function applyEnv(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const leaves = schemaLeaves(configSchema);
  const byKey = new Map(leaves.map((leaf) => [leaf.key, leaf] as const));
  const aliased = new Set<string>();
  for (const { env: name, key } of ENV_ALIASES) {
    const value = nonEmpty(env[name]);
    const leaf = byKey.get(key);
    if (value === undefined || leaf === undefined || aliased.has(key)) continue;
    aliased.add(key);
    applyString(target, leaf, value, name);
  }

  const byEnv = new Map(leaves.map((leaf) => [envNameFor(leaf.path), leaf] as const));
  const sectionPrefixes = Object.keys(configSchema).map((s) => `${envNameFor([s])}_`);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PARLEY_') || name === 'PARLEY_CONFIG') continue;
    const value = nonEmpty(raw);
    if (value === undefined) continue;
    const leaf = byEnv.get(name);
    if (leaf !== undefined) {
      applyString(target, leaf, value, name);
    } else if (sectionPrefixes.some((p) => name.startsWith(p))) {
      const removed = removedKeyMessage(name);
      if (removed !== undefined) throw new ConfigError('unknown-key', removed, { key: name });
      throw new ConfigError(
        'unknown-key',
        `${name}: unknown configuration variable (no such key in its section)`,
        { key: name },
      );
    }
  }
}

function applyString(
  target: Record<string, unknown>,
  leaf: SchemaLeaf,
  value: string,
  origin: string,
): void {
  const field: Field<unknown> = leaf.field;
  setAt(
    target,
    leaf.path,
    parseWith(leaf.key, `from ${origin}`, () => field.fromString(value)),
  );
}

function invalid(key: string, message: string): ConfigError {
  return new ConfigError('invalid-value', `${key}: ${message}`, { key });
}

/** Rules that involve more than one key. */
function checkConsistency(config: Config): void {
  const { c2s, tls, http } = config;
  checkPostgresConfig(config.store.postgres);
  if (c2s.authFailureMaxDelayMs < c2s.authFailureDelayMs) {
    throw invalid(
      'c2s.authFailureMaxDelayMs',
      `must be >= c2s.authFailureDelayMs (${c2s.authFailureDelayMs}), got ${c2s.authFailureMaxDelayMs}`,
    );
  }
  if (c2s.fast.rotateBeforeMs >= c2s.fast.tokenLifetimeMs) {
    throw invalid(
      'c2s.fast.rotateBeforeMs',
      `must be < c2s.fast.tokenLifetimeMs (${c2s.fast.tokenLifetimeMs}), got ${c2s.fast.rotateBeforeMs}`,
    );
  }
  if (c2s.directTlsPort !== 0 && c2s.directTlsPort === c2s.port) {
    throw invalid('c2s.directTlsPort', `must differ from c2s.port, both are ${c2s.port}`);
  }
  if (
    http.port !== 0 &&
    http.host === c2s.host &&
    [c2s.port, c2s.directTlsPort].includes(http.port)
  ) {
    throw invalid('http.port', `${http.port} is already used by a c2s listener on ${c2s.host}`);
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const missing = tls.certFile === undefined ? 'tls.certFile' : 'tls.keyFile';
    const present = missing === 'tls.certFile' ? 'tls.keyFile' : 'tls.certFile';
    throw invalid(missing, `required when ${present} is set`);
  }
  if (c2s.proxyProtocol && c2s.proxyTrustedAddresses.length === 0) {
    throw invalid(
      'c2s.proxyTrustedAddresses',
      'must list the load balancers (IP addresses or CIDR ranges) when c2s.proxyProtocol is true; otherwise every connection would be refused',
    );
  }
  checkWebSocket(config);
  checkBosh(config);
  checkShaper(config);
  checkConnectionSecurity(config);
}

/** The websocket section: path, URLs, origins, and ports that would collide when it is enabled. */
function checkWebSocket(config: Config): void {
  const ws = config.websocket;
  if (!ws.path.startsWith('/') || /[\s?#]/.test(ws.path)) {
    throw invalid(
      'websocket.path',
      `must be an absolute URL path such as /xmpp-websocket, got ${show(ws.path)}`,
    );
  }
  for (const url of ws.publicUrls) {
    if (!/^wss?:\/\/[^/\s]+/.test(url) || !URL.canParse(url)) {
      throw invalid('websocket.publicUrls', `expected ws:// or wss:// URLs, got ${show(url)}`);
    }
  }
  for (const origin of ws.allowedOrigins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin.toLowerCase()) {
      throw invalid(
        'websocket.allowedOrigins',
        `expected origins such as https://chat.example.org (scheme, host and optional port only), got ${show(origin)}`,
      );
    }
  }
  if (!ws.enabled) return;
  const taken: { port: number; host: string; key: string }[] = [
    { port: config.c2s.port, host: config.c2s.host, key: 'c2s.port' },
    { port: config.c2s.directTlsPort, host: config.c2s.host, key: 'c2s.directTlsPort' },
    { port: config.http.port, host: config.http.host, key: 'http.port' },
  ];
  const mine: { port: number; host: string; key: string }[] = [];
  if (ws.listeners.includes('ws')) {
    mine.push({ port: ws.port, host: ws.host, key: 'websocket.port' });
  }
  if (ws.listeners.includes('wss')) {
    mine.push({ port: ws.tlsPort, host: ws.tlsHost, key: 'websocket.tlsPort' });
  }
  for (const [i, l] of mine.entries()) {
    if (l.port === 0) continue;
    const other = [...taken, ...mine.slice(0, i)].find(
      (t) =>
        t.port === l.port && (t.host === l.host || t.host === '0.0.0.0' || l.host === '0.0.0.0'),
    );
    if (other !== undefined) {
      throw invalid(l.key, `${l.port} is already used by ${other.key} (${other.host})`);
    }
  }
}
