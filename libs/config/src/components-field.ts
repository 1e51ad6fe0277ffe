/**
 * The `components.list` field: XEP-0114 components, each a domain and the
 * shared secret of its handshake (the handshake hashes the secret itself, so
 * it cannot be stored hashed). Either inline or read from a file.
 */
import { readFileSync } from 'node:fs';
import { FieldValueError, show } from './schema.js';
import type { Field } from './schema.js';
import type { ComponentConfig } from './federation-types.js';

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const EXPECTED = 'a list of components {domain, secret | secretFile}';

function fail(what: string, got: unknown): never {
  throw new FieldValueError(`expected ${what}, got ${show(got)}`);
}

function checkDomain(value: unknown): string {
  if (typeof value !== 'string' || !DOMAIN.test(value.toLowerCase()))
    fail('domain: a DNS domain name such as bot.example.org', value);
  return value.toLowerCase();
}

function readSecret(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new FieldValueError(`secretFile: cannot read ${path}: ${(err as Error).message}`);
  }
}

function checkSecret(secret: string): string {
  if (secret.length < 8) fail('a secret of at least 8 characters', '<hidden>');
  return secret;
}

/** One component given as an object (JSON file, or JSON in the environment). */
export function parseComponent(value: unknown): ComponentConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('an object', Array.isArray(value) ? 'a list' : typeof value);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (!['domain', 'secret', 'secretFile'].includes(k)) fail('no key ' + k, Object.keys(v));
  const domain = checkDomain(v['domain']);
  const inline = v['secret'];
  const file = v['secretFile'];
  if ((inline === undefined) === (file === undefined))
    fail('exactly one of secret and secretFile', Object.keys(v));
  if (inline !== undefined && typeof inline !== 'string') fail('secret: a string', typeof inline);
  if (file !== undefined && typeof file !== 'string') fail('secretFile: a path', file);
  const secret = typeof inline === 'string' ? inline : readSecret(file as string);
  return { domain, secret: checkSecret(secret) };
}

function parseAll(values: readonly unknown[], parse: (v: unknown) => ComponentConfig) {
  const out: ComponentConfig[] = [];
  values.forEach((v, i) => {
    let c: ComponentConfig;
    try {
      c = parse(v);
    } catch (err) {
      if (err instanceof FieldValueError) throw new FieldValueError(`[${i}]: ${err.message}`);
      throw err;
    }
    if (out.some((o) => o.domain === c.domain)) fail(`one entry per domain`, c.domain);
    out.push(c);
  });
  return out;
}

/** `domain=secret` (the secret is what follows the first `=`). */
function parseCompact(entry: string): ComponentConfig {
  const eq = entry.indexOf('=');
  if (eq <= 0) fail('domain=secret', '<an entry without domain=>');
  return {
    domain: checkDomain(entry.slice(0, eq).trim()),
    secret: checkSecret(entry.slice(eq + 1)),
  };
}

export function componentsField(opts: { doc: string }): Field<ComponentConfig[]> {
  const fromJson = (value: unknown): ComponentConfig[] => {
    if (!Array.isArray(value)) fail(EXPECTED, `a ${typeof value}`);
    return parseAll(value, parseComponent);
  };
  return {
    kind: 'field',
    type: 'list of {domain, secret | secretFile}',
    doc: opts.doc,
    default: [],
    fromJson,
    fromString(s) {
      const text = s.trim();
      if (text.startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          fail('JSON or domain=secret entries', '<unparsable>');
        }
        return fromJson(parsed);
      }
      const parts = text
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      return parseAll(parts, (p) => parseCompact(p as string));
    },
  };
}
