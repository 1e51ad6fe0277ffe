/**
 * The `admin.tokens` field: bearer tokens of the admin REST API, each
 * configured by the SHA-256 of its secret (never the secret itself), with
 * its scopes and optionally the domains it is limited to.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { FieldValueError, show } from './schema.js';
import type { Field } from './schema.js';
import type { AdminScope, AdminToken } from './types.js';

const SCOPES: readonly AdminScope[] = ['read', 'data', 'admin', 'metrics'];
const HEX64 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const EXPECTED =
  'a list of tokens {name, sha256 (64 hex digits), scopes: ["read"|"data"|"admin"|"metrics"], domains?: [...]}';

function fail(what: string, got: unknown): never {
  throw new FieldValueError(`expected ${what}, got ${show(got)}`);
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === ''))
    fail(what, value);
  return [...new Set(value as string[])];
}

/** Validates one token given as an object (JSON file, or JSON in the environment). */
export function parseAdminToken(value: unknown): AdminToken {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object', value);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (!['name', 'sha256', 'scopes', 'domains'].includes(k)) fail('no key ' + k, value);
  if (typeof v['name'] !== 'string' || !NAME.test(v['name']))
    fail('a name of 1-64 letters, digits, _ . -', v['name']);
  const sha256 = typeof v['sha256'] === 'string' ? v['sha256'].toLowerCase() : undefined;
  if (sha256 === undefined || !HEX64.test(sha256))
    fail(`sha256: 64 hex digits (the SHA-256 of the token)`, v['sha256']);
  const scopes = strings(
    v['scopes'] ?? ['read'],
    'scopes: a list of "read" / "data" / "admin" / "metrics"',
  );
  if (scopes.length === 0 || scopes.some((s) => !(SCOPES as readonly string[]).includes(s)))
    fail('scopes: a non-empty list of "read" / "data" / "admin" / "metrics"', v['scopes']);
  const token: AdminToken = { name: v['name'], sha256, scopes: scopes as AdminScope[] };
  if (v['domains'] !== undefined) {
    const domains = strings(v['domains'], 'domains: a list of domains');
    if (domains.length === 0) fail('domains: a non-empty list (omit it for every domain)', []);
    token.domains = domains.map((d) => d.toLowerCase());
  }
  return token;
}

/**
 * One token in the compact environment form `name:sha256:scope+scope[:domain+domain]`,
 * e.g. `ops:9f86d0...:read+admin:example.org`.
 */
function parseCompact(text: string): AdminToken {
  const [name, sha256, scopes, domains, ...rest] = text.split(':');
  if (rest.length > 0 || name === undefined || sha256 === undefined)
    fail('name:sha256:scopes[:domains]', text);
  return parseAdminToken({
    name,
    sha256,
    scopes: scopes ? scopes.split('+') : ['read'],
    ...(domains ? { domains: domains.split('+') } : {}),
  });
}

function checkUnique(tokens: AdminToken[]): AdminToken[] {
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const t of tokens) {
    if (names.has(t.name)) fail('unique token names', t.name);
    if (hashes.has(t.sha256)) fail('unique token hashes', t.name);
    names.add(t.name);
    hashes.add(t.sha256);
  }
  return tokens;
}

export function adminTokens(opts: { doc: string }): Field<AdminToken[]> {
  const fromJson = (value: unknown): AdminToken[] => {
    if (!Array.isArray(value)) fail(EXPECTED, value);
    return checkUnique(
      value.map((t, i) => {
        try {
          return parseAdminToken(t);
        } catch (err) {
          if (err instanceof FieldValueError) throw new FieldValueError(`[${i}]: ${err.message}`);
          throw err;
        }
      }),
    );
  };
  return {
    kind: 'field',
    type: 'list of tokens',
    doc: opts.doc,
    default: [],
    fromJson,
    fromString: (s) => {
      const t = s.trim();
      if (t.startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(t);
        } catch {
          fail(`${EXPECTED} as JSON`, s);
        }
        return fromJson(parsed);
      }
      return checkUnique(
        t
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '')
          .map(parseCompact),
      );
    },
  };
}

/**
 * The token of an `Authorization: Bearer <token>` header, if it is one of
 * `tokens`: the token is hashed (SHA-256) and compared in constant time with
 * every configured hash, so the time taken does not tell which one matched.
 */
export function authenticateBearer(
  header: string | undefined,
  tokens: readonly AdminToken[],
): AdminToken | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  const hash = createHash('sha256').update(m[1]!, 'utf8').digest();
  let found: AdminToken | undefined;
  for (const t of tokens) {
    if (timingSafeEqual(hash, Buffer.from(t.sha256, 'hex')) && found === undefined) found = t;
  }
  return found;
}
