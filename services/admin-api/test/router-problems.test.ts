/**
 * What the router refuses before a route runs is answered with problem
 * details too. Counterexamples of services/server/test/admin-api.property.test.ts:
 * a JID path parameter over fastify's default 100 characters got fastify's
 * plain JSON 414.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

describe('admin API: the router refuses with problems', () => {
  let built: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    built = await buildTestApp();
  });
  afterAll(async () => built.close());

  const get = (url: string) =>
    built.app.inject({ method: 'GET', url, headers: bearer(TOKENS.admin) });

  it('takes a long JID parameter to its schema and handler', async () => {
    const long = `${'a'.repeat(1023)}@localhost`;
    const res = await get(`/api/users/${encodeURIComponent(long)}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({ code: 'not-found' });
    const tooLong = await get(`/api/users/${'b'.repeat(1024)}@localhost`);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers a parameter over 10,000 characters with 414 uri-too-long', async () => {
    const res = await get(`/api/users/${'A'.repeat(10_001)}`);
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({ status: 414, code: 'uri-too-long' });
  });

  it('answers a path that does not percent-decode with 400 bad-request', async () => {
    const res = await get('/api/users/%E0%A4%A');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({ status: 400, code: 'bad-request' });
  });
});

describe('admin API: strings XML cannot carry', () => {
  let built: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    built = await buildTestApp();
  });
  afterAll(async () => built.close());

  // The property test's counterexample: destroyRoom with a NUL in the reason
  // built a stanza the MUC service could not parse, and timed out with 504.
  it('refuses them in the query, the body and the path with 400 bad-request', async () => {
    const requests = [
      { method: 'DELETE' as const, url: '/api/muc/rooms/lounge@conference.localhost?reason=%00' },
      {
        method: 'POST' as const,
        url: '/api/users',
        payload: { jid: 'a@localhost', password: 'x\u0001' },
      },
      { method: 'GET' as const, url: '/api/users/a%EF%BF%BE@localhost' },
      {
        method: 'POST' as const,
        url: '/api/users',
        payload: { jid: 'a@localhost', password: 'p', ['\u0000']: 1 },
      },
    ];
    for (const req of requests) {
      const res = await built.app.inject({ ...req, headers: bearer(TOKENS.admin) });
      expect(res.statusCode, req.url).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.json()).toMatchObject({ code: 'bad-request' });
      expect(res.json().detail).toMatch(/holds a character XML does not allow/);
    }
  });
});
