import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

/** Issue 15: the admin API as a password oracle, unlimited, reading every user's data with `read`. */
describe('admin API: password checks, user data and rate limits', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const caller =
    (app: FastifyInstance) =>
    (method: 'GET' | 'POST', url: string, token?: string, payload?: object, ip = '198.51.100.7') =>
      app.inject({
        method,
        url,
        remoteAddress: ip,
        headers: token ? bearer(token) : {},
        ...(payload ? { payload } : {}),
      });

  it('needs the admin scope to check a password', async () => {
    const built = await buildTestApp();
    close = built.close;
    const call = caller(built.app);
    const created = await call('POST', '/api/users', TOKENS.admin, {
      jid: 'alice@localhost',
      password: 'right',
    });
    expect(created.statusCode).toBe(201);
    for (const token of [TOKENS.read, TOKENS.data]) {
      const res = await call('POST', '/api/users/alice@localhost/password/check', token, {
        password: 'right',
      });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.json()).toMatchObject({ code: 'insufficient-scope', scope: 'admin' });
    }
    const ok = await call('POST', '/api/users/alice@localhost/password/check', TOKENS.admin, {
      password: 'right',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ valid: true });
  });

  it('keeps archives, offline messages and private XML from read tokens (data scope)', async () => {
    const built = await buildTestApp();
    close = built.close;
    const call = caller(built.app);
    await call('POST', '/api/users', TOKENS.admin, { jid: 'bob@localhost', password: 'p' });
    const sensitive = [
      '/api/users/bob@localhost/messages',
      '/api/users/bob@localhost/offline',
      '/api/users/bob@localhost/private?name=query&namespace=storage:bookmarks',
      '/api/muc/rooms/lounge@conference.localhost/messages',
    ];
    for (const url of sensitive) {
      const res = await call('GET', url, TOKENS.read);
      expect(res.statusCode, url).toBe(403);
      expect(res.json(), url).toMatchObject({ code: 'insufficient-scope', scope: 'data' });
      // A data token (and an admin one) passes the scope check.
      for (const token of [TOKENS.data, TOKENS.admin]) {
        const passed = await call('GET', url, token);
        expect(passed.json()?.code, `${url} with ${token}`).not.toBe('insufficient-scope');
      }
    }
    // Read tokens keep reading what is not user content.
    for (const url of [
      '/api/users',
      '/api/users/bob@localhost',
      '/api/users/bob@localhost/vcard',
      '/api/users/bob@localhost/last',
    ]) {
      const res = await call('GET', url, TOKENS.read);
      expect(res.json()?.code, url).not.toBe('insufficient-scope');
    }
  });

  it('describes the scope each operation needs in the OpenAPI document', async () => {
    const built = await buildTestApp();
    close = built.close;
    const doc = (await caller(built.app)('GET', '/openapi.json', TOKENS.read)).json() as {
      paths: Record<string, Record<string, { description?: string; responses: object }>>;
    };
    expect(doc.paths['/api/users/{jid}/password/check']!['post']!.description).toContain(
      '`admin` scope',
    );
    expect(doc.paths['/api/users/{jid}/offline']!['get']!.description).toContain('`data` scope');
    expect(doc.paths['/api/users']!['get']!.description).toContain('`read` scope');
    expect(doc.paths['/api/users']!['get']!.responses).toHaveProperty('429');
  });

  it('limits requests per token with 429, Retry-After and a problem', async () => {
    const built = await buildTestApp({
      admin: { rateLimit: { windowMs: 60_000, perToken: 5, perAddress: 1000 } },
    });
    close = built.close;
    const call = caller(built.app);
    for (let i = 0; i < 5; i++) {
      // Spread over addresses: only the token's budget is spent.
      const res = await call('GET', '/api/users', TOKENS.read, undefined, `203.0.113.${i + 1}`);
      expect(res.statusCode).toBe(200);
    }
    const limited = await call('GET', '/api/users', TOKENS.read, undefined, '203.0.113.99');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(PROBLEM);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, code: 'rate-limited' });
    // Password guesses are requests like any other.
    const guess = await call('POST', '/api/users/x@localhost/password/check', TOKENS.read, {
      password: 'p',
    });
    expect(guess.statusCode).toBe(429);
    // Another token is not affected.
    expect((await call('GET', '/api/users', TOKENS.admin)).statusCode).toBe(200);
  });

  it('limits requests per client address, with or without a valid token', async () => {
    const built = await buildTestApp({
      admin: { rateLimit: { windowMs: 60_000, perToken: 1000, perAddress: 4 } },
    });
    close = built.close;
    const call = caller(built.app);
    for (let i = 0; i < 4; i++)
      expect((await call('GET', '/api/users', `guess-${i}`)).statusCode).toBe(401);
    const limited = await call('GET', '/api/users', TOKENS.admin);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ code: 'rate-limited' });
    // Another address still gets through.
    const other = await call('GET', '/api/users', TOKENS.admin, undefined, '198.51.100.8');
    expect(other.statusCode).toBe(200);
  });

  it('has limits on by default', async () => {
    const built = await buildTestApp();
    close = built.close;
    expect(built.config.admin.rateLimit.perToken).toBeGreaterThan(0);
    expect(built.config.admin.rateLimit.perAddress).toBeGreaterThan(0);
  });
});
