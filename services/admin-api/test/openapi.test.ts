import { readFileSync } from 'node:fs';
import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PROBLEMS } from '../src/problem.js';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

interface Doc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        tags?: string[];
        summary?: string;
        responses: Record<string, unknown>;
      }
    >
  >;
}

describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let doc: Doc;
  let apiRoutes: Array<{ method: string; url: string }> = [];

  beforeAll(async () => {
    const built = await buildTestApp();
    app = built.app;
    close = built.close;
    const res = await app.inject({
      method: 'GET',
      url: '/openapi.json',
      headers: bearer(TOKENS.read),
    });
    expect(res.statusCode).toBe(200);
    doc = res.json() as Doc;
    apiRoutes = built.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
  });
  afterAll(async () => close());

  it('is served to any valid token and validates as OpenAPI 3', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(doc) as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  it('holds every /api route, each with an operationId, a tag, a summary and problem responses', async () => {
    expect(apiRoutes.length).toBeGreaterThan(50);
    const ids = new Set<string>();
    for (const r of apiRoutes) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${path} is in the document`).toBeDefined();
      expect(op!.operationId, `${r.method} ${path} operationId`).toBeTruthy();
      expect(ids.has(op!.operationId!), `operationId ${op!.operationId} is unique`).toBe(false);
      ids.add(op!.operationId!);
      expect(op!.tags?.length).toBeGreaterThan(0);
      expect(op!.summary).toBeTruthy();
      for (const status of ['400', '401', '403']) expect(op!.responses[status]).toBeDefined();
    }
  });

  it('shows the shared shapes once, as components the operations refer to', () => {
    const { schemas } = (doc as Doc & { components: { schemas: Record<string, unknown> } })
      .components;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Problem', 'Session', 'User', 'Contact']),
    );
    interface Node {
      $ref?: string;
      properties?: Record<string, Node>;
      items?: Node;
    }
    const schema = (path: string, method: string, status: string, type = 'application/json') =>
      (
        doc.paths[path]?.[method]?.responses[status] as {
          content: Record<string, { schema: Node }>;
        }
      ).content[type]?.schema;
    const itemRef = (path: string) =>
      schema(path, 'get', '200')?.properties?.['items']?.items?.$ref;
    expect(schema('/api/users/{jid}', 'get', '200')?.$ref).toBe('#/components/schemas/User');
    expect(itemRef('/api/users')).toBe('#/components/schemas/User');
    expect(itemRef('/api/users/{jid}/roster')).toBe('#/components/schemas/Contact');
    expect(itemRef('/api/sessions')).toBe('#/components/schemas/Session');
    expect(schema('/api/users/{jid}', 'get', '404', 'application/problem+json')?.$ref).toBe(
      '#/components/schemas/Problem',
    );
  });

  it('documents every problem code in docs/admin-api.md', () => {
    const md = readFileSync(new URL('../../../docs/admin-api.md', import.meta.url), 'utf8');
    for (const [code, p] of Object.entries(PROBLEMS)) {
      expect(md, `docs/admin-api.md names ${code}`).toContain(`| \`${code}\` | ${p.status} |`);
    }
  });

  it('documents every operation in docs/admin-api.md', () => {
    const md = readFileSync(new URL('../../../docs/admin-api.md', import.meta.url), 'utf8');
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(ops))
        expect(md, `${op.operationId} in docs/admin-api.md`).toContain(
          `| \`${op.operationId}\` | \`${method.toUpperCase()} ${path}\` |`,
        );
    }
  });

  it('renders a reference page at /docs', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/', headers: bearer(TOKENS.read) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('swagger');
  });
});
