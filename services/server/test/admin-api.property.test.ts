/**
 * Property tests of the admin API's schemas, through fastify's inject
 * against the all-in-one server (so every operation has its workers behind
 * it): any path parameter, query and JSON body, generated from the OpenAPI
 * document or arbitrary, gets a 2xx or a 4xx problem, never a 5xx; inputs
 * generated from the schemas are accepted. More runs: `pnpm fuzz`
 * (docs/security.md).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { propertyTest } from '@parley/fuzz';
import { TOKENS, startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';

type Schema = Record<string, unknown>;
interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  id: string;
  pathParams: string[];
  query: Record<string, Schema>;
  body: Schema | undefined;
}

const ADDRESSES = [
  'ann@localhost',
  'ghost@localhost',
  'localhost',
  'lounge@conference.localhost',
  'ann@localhost/phone',
  'x@example.net',
  'x@elsewhere.example',
];
const ODD = [
  '%E0%A4%A',
  '%ff',
  '',
  ' ',
  '..',
  '%',
  '@',
  '/',
  '\u0000',
  'é',
  '\uD800',
  'A'.repeat(1100),
  '{jid}',
  '😀',
];

/** Any string as a path segment: percent-encoded UTF-8 bytes, or left raw when harmless. */
function segment(s: string, raw: boolean): string {
  // Left raw: harmless characters, or a percent sign (a path that may not decode).
  if (raw && (/^[A-Za-z0-9@._~-]+$/.test(s) || s.startsWith('%'))) return s;
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ADDRESSES) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

function resolve(schema: Schema, doc: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const name = ref.replace(/^#\/components\/schemas\//, '');
  const components = (doc['components'] as { schemas: Record<string, Schema> }).schemas;
  return resolve(components[name] ?? {}, doc);
}

/** Values that mostly satisfy `schema`, with odd ones mixed in. */
function fromSchema(schema: Schema, doc: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  for (const key of ['anyOf', 'oneOf']) {
    const alts = s[key];
    if (Array.isArray(alts))
      return fc.oneof(...alts.map((a) => fromSchema(a as Schema, doc, depth)));
  }
  if ('const' in s) return fc.constant(s['const']);
  const min = typeof s['minimum'] === 'number' ? s['minimum'] : -5;
  const max = typeof s['maximum'] === 'number' ? s['maximum'] : 1_000_000;
  switch (s['type']) {
    case 'integer':
      return fc.oneof(
        fc.integer({ min, max: Math.min(max, Number.MAX_SAFE_INTEGER) }),
        fc.constantFrom(-1, 0, 2 ** 53),
      );
    case 'number':
      return fc.double({ min, max, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3
        ? fc.constant([])
        : fc.array(fromSchema((s['items'] as Schema) ?? {}, doc, depth + 1), { maxLength: 3 });
    case 'object': {
      const props = (s['properties'] as Record<string, Schema> | undefined) ?? {};
      if (depth > 3) return fc.constant({});
      const required = (s['required'] as string[] | undefined) ?? [];
      return fc.record(
        Object.fromEntries(
          Object.entries(props).map(([k, v]) => [k, fromSchema(v, doc, depth + 1)]),
        ),
        { requiredKeys: required.filter((k) => k in props) },
      );
    }
    case 'string': {
      const maxLength = typeof s['maxLength'] === 'number' ? Math.min(s['maxLength'], 40) : 40;
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...ADDRESSES, 'secret', 'hello', 'owner', '1') },
        { weight: 1, arbitrary: fc.string({ maxLength }) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function operations(doc: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(
    doc['paths'] as Record<string, Record<string, Schema>>,
  )) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op['parameters'] as { in: string; name: string; schema: Schema }[]) ?? [];
      const body = (op['requestBody'] as { content?: Record<string, { schema: Schema }> })
        ?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        id: String(op['operationId']),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(
          params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
        ),
        body,
      });
    }
  }
  return ops;
}

describe('admin API properties', () => {
  let t: AdminTestServer;
  let doc: Schema;
  let ops: Operation[];
  beforeAll(async () => {
    t = await startAdminTestServer({ admin: { rateLimit: { perToken: 0, perAddress: 0 } } });
    await t.addUser('ann');
    doc = (await t.api('GET', '/openapi.json')).body as Schema;
    ops = operations(doc).filter((op) => op.path.startsWith('/api/'));
  });
  afterAll(async () => t.stop());

  /** A request for `op`: schema-shaped or arbitrary parts, as `valid` says. */
  function request(op: Operation, valid: boolean) {
    const pathParams = fc.tuple(...op.pathParams.map(() => fc.tuple(anyString, fc.boolean())));
    const query = fc.record(
      Object.fromEntries(
        Object.entries(op.query).map(([k, s]) => [k, valid ? fromSchema(s, doc) : anyString]),
      ),
      { requiredKeys: [] },
    );
    const body =
      op.body === undefined
        ? fc.constant(undefined)
        : valid
          ? fromSchema(op.body, doc)
          : fc.oneof(
              fc.jsonValue({ maxDepth: 3 }),
              fromSchema(op.body, doc).map((b) => ({ ...(b as object), unexpected: 1 })),
              fc.string().map((raw) => ({ raw })),
            );
    return fc.tuple(pathParams, query, body).map(([params, q, b]) => {
      let url = op.path;
      params.forEach(([value, raw], i) => {
        url = url.replace(`{${op.pathParams[i]}}`, segment(value, raw));
      });
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(q))
        search.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      const qs = search.toString();
      return { method: op.method, url: qs === '' ? url : `${url}?${qs}`, body: b };
    });
  }

  async function check(
    req: { method: Operation['method']; url: string; body: unknown },
    id: string,
  ) {
    const app = t.server.adminApi!.app;
    const raw = req.body !== null && typeof req.body === 'object' && 'raw' in req.body;
    const res = await app.inject({
      method: req.method,
      url: req.url,
      headers: {
        authorization: `Bearer ${TOKENS.admin}`,
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(req.body === undefined
        ? {}
        : { payload: raw ? (req.body as { raw: string }).raw : JSON.stringify(req.body) }),
    });
    const what = `${id}: ${req.method} ${req.url} ${JSON.stringify(req.body)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
    // This server runs no HTTP upload service: the one 5xx it documents for that case.
    const noUpload = id === 'getUploadUrl' && res.statusCode === 501;
    if (!noUpload) expect(res.statusCode, what).toBeLessThan(500);
    if (res.statusCode >= 400) {
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res.body) as { status: number; code: string };
      expect(problem.status, what).toBe(res.statusCode);
      expect(typeof problem.code, what).toBe('string');
    }
    return res.statusCode;
  }

  const operation = () => fc.integer({ min: 0, max: 10_000 }).map((i) => ops[i % ops.length]!);

  propertyTest(
    'answers arbitrary path parameters, queries and bodies with a 4xx problem, never a 5xx',
    200,
    () =>
      fc.asyncProperty(
        operation().chain((op) => request(op, false).map((req) => ({ op, req }))),
        async ({ op, req }) => {
          await check(req, op.id);
        },
      ),
  );

  propertyTest('accepts or refuses schema-shaped input with a 4xx, never a 5xx', 200, () =>
    fc.asyncProperty(
      operation().chain((op) => request(op, true).map((req) => ({ op, req }))),
      async ({ op, req }) => {
        await check(req, op.id);
      },
    ),
  );

  propertyTest('creates, reads and removes users with any valid localpart and password', 40, () =>
    fc.asyncProperty(
      fc.stringMatching(/^[a-z0-9._\-\u00e9\u4e2d]{1,20}$/).filter((l) => !l.startsWith('admin')),
      fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((p) => p.trim() === p && /^[\x21-\x7e]+$/.test(p)),
      async (local, password) => {
        const jid = `${local}@localhost`;
        const created = await check(
          { method: 'POST', url: '/api/users', body: { jid, password } },
          'registerUser',
        );
        expect([201, 400, 409]).toContain(created);
        if (created !== 201) return;
        const path = `/api/users/${segment(jid, false)}`;
        expect(await check({ method: 'GET', url: path, body: undefined }, 'getUser')).toBe(200);
        const verify = {
          method: 'POST' as const,
          url: `${path}/password/check`,
          body: { password },
        };
        expect(await check(verify, 'checkPassword')).toBe(200);
        expect(await check({ method: 'DELETE', url: path, body: undefined }, 'removeUser')).toBe(
          204,
        );
      },
    ),
  );
});
