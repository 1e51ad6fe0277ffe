import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '@parley/config';
import type { FastifyInstance } from 'fastify';
import { hashToken } from '../src/auth.js';
import { TOKENS, bearer, buildTestApp, sha } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

describe('admin API: tokens, scopes, domains and problem details', () => {
  let app: FastifyInstance;
  let config: Config;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, config, close } = await buildTestApp());
  });
  afterAll(async () => close());

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    token?: string,
    payload?: object,
  ) =>
    app.inject({
      method,
      url,
      headers: token ? bearer(token) : {},
      ...(payload ? { payload } : {}),
    });

  it('hashes tokens with SHA-256 (hex)', () => {
    expect(hashToken(TOKENS.admin)).toBe(sha(TOKENS.admin));
  });

  it('answers 401 problem+json without a token or with a bad one', async () => {
    const none = await call('GET', '/api/users');
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(PROBLEM);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="parley-admin"');
    expect(none.json()).toMatchObject({
      status: 401,
      code: 'unauthorized',
      instance: '/api/users',
    });
    const bad = await call('GET', '/api/users', 'not-a-token');
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    const basic = await app.inject({
      method: 'GET',
      url: '/api/users',
      headers: { authorization: 'Basic eDp5' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('lets a read token read, and answers 403 when it writes', async () => {
    expect((await call('GET', '/api/users', TOKENS.read)).statusCode).toBe(200);
    const w = await call('POST', '/api/users', TOKENS.read, { jid: 'x@localhost', password: 'p' });
    expect(w.statusCode).toBe(403);
    expect(w.headers['content-type']).toMatch(PROBLEM);
    expect(w.json()).toMatchObject({ code: 'insufficient-scope', scope: 'admin' });
    expect(w.headers['www-authenticate']).toContain('insufficient_scope');
    // Checking a password is no read: it is an oracle (issue 15, test/abuse.test.ts).
    const check = await call('POST', '/api/users/x@localhost/password/check', TOKENS.read, {
      password: 'p',
    });
    expect(check.statusCode).toBe(403);
  });

  it('limits a domain-scoped token to its domains and keeps it off server-wide operations', async () => {
    const other = await call('POST', '/api/users', TOKENS.scoped, {
      jid: 'x@localhost',
      password: 'p',
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'domain-not-allowed' });
    const own = await call('POST', '/api/users', TOKENS.scoped, {
      jid: 'x@example.net',
      password: 'p',
    });
    expect(own.statusCode).toBe(201);
    await call('POST', '/api/users', TOKENS.admin, { jid: 'y@localhost', password: 'p' });
    const list = await call('GET', '/api/users', TOKENS.scoped);
    expect(list.json()).toEqual({ items: [expect.objectContaining({ jid: 'x@example.net' })] });
    expect((await call('GET', '/api/users?domain=localhost', TOKENS.scoped)).statusCode).toBe(403);
    expect((await call('GET', '/api/users/y@localhost', TOKENS.scoped)).statusCode).toBe(403);
    expect((await call('GET', '/api/metrics', TOKENS.scoped)).statusCode).toBe(403);
    expect((await call('DELETE', '/api/offline/old?days=1', TOKENS.scoped)).statusCode).toBe(403);
    expect((await call('GET', '/api/metrics', TOKENS.admin)).statusCode).toBe(200);
  });

  it('answers 400 problem+json for bodies and queries that do not match the schema', async () => {
    const missing = await call('POST', '/api/users', TOKENS.admin, { jid: 'z@localhost' });
    expect(missing.statusCode).toBe(400);
    expect(missing.headers['content-type']).toMatch(PROBLEM);
    expect(missing.json()).toMatchObject({
      code: 'validation-failed',
      errors: [{ location: 'body/password', message: expect.any(String) }],
    });
    const extra = await call('POST', '/api/users', TOKENS.admin, {
      jid: 'z@localhost',
      password: 'p',
      admin: true,
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toEqual([expect.objectContaining({ location: 'body/admin' })]);
    const query = await call('GET', '/api/users?limit=0', TOKENS.admin);
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ code: 'validation-failed' });
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { ...bearer(TOKENS.admin), 'content-type': 'application/json' },
      payload: '{"jid":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toMatch(PROBLEM);
    const badJid = await call('POST', '/api/users', TOKENS.admin, {
      jid: 'nobody@elsewhere.org',
      password: 'p',
    });
    expect(badJid.statusCode).toBe(400);
    expect(badJid.json()).toMatchObject({ code: 'bad-request' });
  });

  it('reports a value outside an enum or a bound once, where it is', async () => {
    const res = await call('POST', '/api/messages', TOKENS.admin, {
      from: 'a@localhost',
      to: 'b@localhost',
      body: 'hi',
      type: 'groupchat',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { location: 'body/type', message: 'must be equal to one of the allowed values' },
    ]);
    const max = config.admin.maxPageSize;
    const big = await call('GET', `/api/users?limit=${max + 1}`, TOKENS.admin);
    expect(big.statusCode).toBe(400);
    expect(big.json().errors).toEqual([
      { location: 'querystring/limit', message: `must be <= ${max}` },
    ]);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await call('GET', '/api/nothing', TOKENS.admin);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({ code: 'not-found' });
  });

  it('answers an upload slot request with 501 (no upload service)', async () => {
    const res = await call('POST', '/api/upload/slots', TOKENS.admin, {
      jid: 'x@example.net',
      filename: 'a.png',
      size: 10,
    });
    expect(res.statusCode).toBe(501);
    expect(res.json()).toMatchObject({ code: 'not-implemented' });
  });

  it('answers 503 when no registry worker runs, and for MUC when the actor is no MUC admin', async () => {
    const sessions = await call('GET', '/api/users/x@example.net/sessions', TOKENS.admin);
    expect([503, 504]).toContain(sessions.statusCode);
    expect(sessions.headers['content-type']).toMatch(PROBLEM);
    const rooms = await call('GET', '/api/muc/rooms/r@conference.localhost', TOKENS.admin);
    expect(rooms.statusCode).toBe(503);
    expect(rooms.json().detail).toContain('muc.admins');
  });
});
