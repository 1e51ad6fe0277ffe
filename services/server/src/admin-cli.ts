/**
 * `xmppctl api ...`: every admin API operation from the command line. The
 * commands are read from the server's own OpenAPI document (/openapi.json),
 * so the CLI offers exactly the operations the API has, with the same
 * names (operationId) and parameters:
 *
 *   xmppctl api list
 *   xmppctl api help registerUser
 *   xmppctl api registerUser --jid alice@localhost --password s3cret
 *   xmppctl api kickUser alice@localhost --reason maintenance
 *   xmppctl api listUsers --all
 *   xmppctl api gen-token --name ops --scopes admin
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface ApiCliIo {
  fetch: Fetch;
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** Base URL when neither --url nor PARLEY_ADMIN_URL is given (from the configuration). */
  defaultUrl(): string;
  /**
   * URL of the OpenAPI document when neither --doc-url nor PARLEY_ADMIN_DOC_URL
   * is given: the ops listener's when ops.port is set; undefined = `<url>/openapi.json`.
   */
  defaultDocUrl?(): string | undefined;
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'body';
  required: boolean;
  type: string;
  description?: string;
}

interface Operation {
  id: string;
  method: string;
  path: string;
  summary: string;
  params: Param[];
  pageable: boolean;
}

export const API_USAGE = `xmppctl api: the admin REST API from the command line

  xmppctl api list                              every operation, with what it does
  xmppctl api help <operation>                  the parameters of one operation
  xmppctl api <operation> [<path values>...] [--<param> <value>...] [--body '<json>'] [--all]
  xmppctl api gen-token [--name <n>] [--scopes read,data,admin,metrics] [--domains a.org,b.org]
                                                a new token and its admin.tokens entry

  --url <url>     the API (default: $PARLEY_ADMIN_URL, else admin.host:admin.port)
  --token <t>     the bearer token (default: $PARLEY_ADMIN_TOKEN)
  --doc-url <u>   the OpenAPI document (default: $PARLEY_ADMIN_DOC_URL, else the ops
                  listener's /openapi.json when ops.port is set, else <url>/openapi.json)
  --all           follow 'next' and print every page's items
  --help, -h      this text
Path values may be given in order without names, e.g. xmppctl api getUser alice@localhost.
Lists take comma-separated values; objects take JSON. For an operation with a parameter
named body (sendMessage), --body is that parameter.`;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options of every command; an operation's parameters cannot use these names. */
const COMMON_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'doc-url': { type: 'string' },
  body: { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

const GEN_TOKEN_OPTIONS = {
  ...COMMON_OPTIONS,
  name: { type: 'string' },
  scopes: { type: 'string' },
  domains: { type: 'string' },
} as const satisfies OptionsConfig;

/** `argv` parsed strictly against `options`; a bad option is a usage error naming `command`. */
function parseCommand<O extends OptionsConfig>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new Error(`${command}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The first, lenient pass over the arguments: an operation's options are known only
 * once /openapi.json is read, and reading it needs the command, --url and --token.
 */
function firstPass(argv: string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    options: COMMON_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const name of ['url', 'token', 'doc-url'] as const) {
    if (values[name] === true) throw new Error(`Option '--${name} <value>' argument missing`);
  }
  const text = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const options = tokens.flatMap((t) => (t.kind === 'option' ? [t] : []));
  return {
    cmd: positionals[0],
    rest: positionals.slice(1),
    help: values.help === true,
    url: text(values.url),
    token: text(values.token),
    docUrl: text(values['doc-url']),
    /** Every option given, as written (`--name` or `-n`). */
    given: options.map((t) => ({ name: t.name, rawName: t.rawName })),
  };
}

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
};

function operations(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const params: Param[] = [];
      for (const p of (op['parameters'] ?? []) as Array<{
        name: string;
        in: string;
        required?: boolean;
        schema?: Schema;
        description?: string;
      }>) {
        if (p.in !== 'path' && p.in !== 'query') continue;
        params.push({
          name: p.name,
          in: p.in,
          required: p.required === true,
          type: p.schema?.type ?? 'string',
          ...(p.description ? { description: p.description } : {}),
        });
      }
      const body = (
        op['requestBody'] as { content?: Record<string, { schema?: Schema }> } | undefined
      )?.content?.['application/json']?.schema;
      for (const [name, s] of Object.entries(body?.properties ?? {}))
        params.push({
          name,
          in: 'body',
          required: body?.required?.includes(name) ?? false,
          type: s.type ?? 'object',
          ...(s.description ? { description: s.description } : {}),
        });
      const ok = (
        op['responses'] as Record<string, { content?: Record<string, { schema?: Schema }> }>
      )['200'];
      const pageable =
        ok?.content?.['application/json']?.schema?.properties?.['next'] !== undefined;
      out.push({
        id: String(op['operationId']),
        method: method.toUpperCase(),
        path,
        summary: String(op['summary'] ?? ''),
        params,
        pageable,
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function convert(p: Param, text: string): unknown {
  switch (p.type) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n)) throw new Error(`--${p.name} expects a number, got "${text}"`);
      return n;
    }
    case 'boolean':
      return text === 'true' || text === '1' || text === 'yes';
    case 'array':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'object':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`--${p.name} expects JSON, got "${text}"`);
      }
    default:
      return text;
  }
}

function genToken(argv: string[], io: ApiCliIo): number {
  const { values } = parseCommand(argv, GEN_TOKEN_OPTIONS, 'gen-token');
  const token = randomBytes(32).toString('base64url');
  const entry: Record<string, unknown> = {
    name: values.name ?? 'operator',
    sha256: createHash('sha256').update(token).digest('hex'),
    scopes: (values.scopes ?? 'admin').split(','),
  };
  if (values.domains !== undefined) entry['domains'] = values.domains.split(',');
  io.out(`token: ${token}`);
  io.out(`admin.tokens entry: ${JSON.stringify(entry)}`);
  io.err('Keep the token secret; only its SHA-256 goes into the configuration.');
  return 0;
}

function parseBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error(`--body expects a JSON object, got "${text}"`);
  return body as Record<string, unknown>;
}

/** Runs `xmppctl api ...`; resolves with the exit code. */
export async function runApiCommand(argv: string[], io: ApiCliIo): Promise<number> {
  const first = firstPass(argv);
  const { cmd, rest } = first;
  if (first.help || !cmd || (cmd === 'help' && rest.length === 0)) {
    io.out(API_USAGE);
    return cmd || first.help ? 0 : 2;
  }
  if (cmd === 'gen-token') return genToken(argv, io);
  const base = (first.url ?? io.env['PARLEY_ADMIN_URL'] ?? io.defaultUrl()).replace(/\/+$/, '');
  const token = first.token ?? io.env['PARLEY_ADMIN_TOKEN'];
  const docUrl =
    first.docUrl ??
    io.env['PARLEY_ADMIN_DOC_URL'] ??
    io.defaultDocUrl?.() ??
    `${base}/openapi.json`;
  // The reference needs a token too (ops.requireToken): any valid one.
  const docRes = await io.fetch(docUrl, {
    method: 'GET',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (docRes.status === 401 && !token)
    throw new Error(
      'no token: pass --token or set PARLEY_ADMIN_TOKEN (the API reference needs one)',
    );
  if (docRes.status !== 200) throw new Error(`cannot read ${docUrl} (HTTP ${docRes.status})`);
  const ops = operations(JSON.parse(await docRes.text()));
  if (cmd === 'list') {
    parseCommand(argv, COMMON_OPTIONS, 'list');
    const width = Math.max(...ops.map((o) => o.id.length));
    for (const o of ops) io.out(`${o.id.padEnd(width)}  ${o.summary}`);
    return 0;
  }
  const find = (name: string) => {
    const key = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()).toLowerCase();
    const op = ops.find((o) => o.id.toLowerCase() === key);
    if (!op) throw new Error(`no operation "${name}" (xmppctl api list shows them)`);
    return op;
  };
  if (cmd === 'help') {
    parseCommand(argv, COMMON_OPTIONS, 'help');
    const op = find(rest[0]!);
    io.out(`${op.id}: ${op.summary}\n  ${op.method} ${op.path}`);
    for (const p of op.params)
      io.out(
        `  --${p.name} <${p.type}>${p.required ? ' (required)' : ''}  ${p.in}${p.description ? `: ${p.description}` : ''}`,
      );
    return 0;
  }
  const op = find(cmd);
  if (!token) throw new Error('no token: pass --token or set PARLEY_ADMIN_TOKEN');
  // Every parameter of the operation is an option taking a value (converted by its type).
  // `--body` is the whole JSON body, unless the operation has a parameter of that name
  // (the text of sendMessage): then it is that parameter.
  const wholeBody = !op.params.some((p) => p.name === 'body');
  const common = new Set(Object.keys(COMMON_OPTIONS));
  if (!wholeBody) common.delete('body');
  const options: OptionsConfig = { ...COMMON_OPTIONS };
  for (const p of op.params) if (!common.has(p.name)) options[p.name] = { type: 'string' };
  for (const o of first.given)
    if (!Object.hasOwn(options, o.name))
      throw new Error(`${op.id} has no parameter ${o.rawName} (xmppctl api help ${op.id})`);
  const parsed = parseCommand(argv, options, op.id);
  const values = new Map<string, string>();
  for (const [name, v] of Object.entries(parsed.values))
    if (!common.has(name) && typeof v === 'string') values.set(name, v);
  const pathParams = op.params.filter((p) => p.in === 'path');
  parsed.positionals.slice(1).forEach((v, i) => {
    const p = pathParams[i];
    if (!p) throw new Error(`${op.id} takes ${pathParams.length} path value(s)`);
    values.set(p.name, v);
  });
  let path = op.path;
  const query = new URLSearchParams();
  const bodyText = wholeBody ? parsed.values['body'] : undefined;
  let body: Record<string, unknown> | undefined =
    typeof bodyText === 'string' ? parseBody(bodyText) : undefined;
  for (const [name, text] of values) {
    const p = op.params.find((x) => x.name === name)!;
    if (p.in === 'path') path = path.replace(`{${name}}`, encodeURIComponent(text));
    else if (p.in === 'query') query.set(name, text);
    else (body ??= {})[name] = convert(p, text);
  }
  const missing = op.params.filter(
    (p) => p.required && !values.has(p.name) && !(p.in === 'body' && body?.[p.name] !== undefined),
  );
  if (missing.length > 0)
    throw new Error(`${op.id} needs ${missing.map((p) => `--${p.name}`).join(', ')}`);
  const hasBody = op.params.some((p) => p.in === 'body');
  if (hasBody) body ??= {};
  const items: unknown[] = [];
  for (;;) {
    const qs = query.toString();
    const res = await io.fetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
      method: op.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    if (res.status >= 400) {
      let detail = text;
      if (type.includes('json')) {
        const p = JSON.parse(text) as { title?: string; detail?: string; code?: string };
        detail = `${p.code ?? ''}: ${p.detail ?? p.title ?? ''}`;
      }
      io.err(`error ${res.status} ${detail}`);
      return 1;
    }
    if (!type.includes('json')) {
      if (text !== '') io.out(text);
      else io.out(`ok (${res.status})`);
      return 0;
    }
    const json = JSON.parse(text) as { items?: unknown[]; next?: string };
    if (parsed.values['all'] !== true || !op.pageable) {
      io.out(JSON.stringify(json, null, 2));
      return 0;
    }
    items.push(...(json.items ?? []));
    if (json.next === undefined) break;
    query.set('after', json.next);
  }
  io.out(JSON.stringify({ items }, null, 2));
  return 0;
}
