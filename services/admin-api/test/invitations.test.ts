/** createInvitation, getInvitation, revokeInvitation (XEP-0401 invitations made by the API). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

describe('admin API invitations', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await buildTestApp({
      registration: { invitations: { landingUrl: 'https://localhost/invite/#{token}' } },
    }));
  });
  afterAll(async () => close());

  const call = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: object,
    token: string = TOKENS.admin,
  ) => app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  it('makes a single-use invitation with its xmpp: URI, reads and revokes it', async () => {
    expect(
      (await call('POST', '/api/users', { jid: 'romeo@localhost', password: 'pw' })).statusCode,
    ).toBe(201);
    const made = await call('POST', '/api/invitations', { inviter: 'romeo@localhost' });
    expect(made.statusCode).toBe(201);
    const inv = made.json() as Record<string, unknown> & { token: string; expiresAt: number };
    expect(inv).toMatchObject({
      domain: 'localhost',
      inviter: 'romeo@localhost',
      register: true,
      subscribe: true,
      uri: `xmpp:romeo@localhost?roster;preauth=${inv.token};ibr=y`,
      landingUrl: `https://localhost/invite/#${inv.token}`,
    });
    expect(inv.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(inv.expiresAt - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect((await call('GET', `/api/invitations/${inv.token}`)).json()).toMatchObject({
      token: inv.token,
    });
    expect((await call('DELETE', `/api/invitations/${inv.token}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/invitations/${inv.token}`)).statusCode).toBe(404);
  });

  it('reserves a username, limits the lifetime, and checks domains and scopes', async () => {
    const named = await call('POST', '/api/invitations', { username: 'Juliet', ttlSeconds: 3600 });
    expect(named.statusCode).toBe(201);
    const inv = named.json() as { uri: string; username: string; token: string; expiresAt: number };
    expect(inv.username).toBe('juliet');
    expect(inv.uri).toBe(`xmpp:juliet@localhost?register;preauth=${inv.token}`);
    expect(inv.expiresAt - Date.now()).toBeLessThanOrEqual(3600_000);
    expect((await call('POST', '/api/invitations', { username: 'juliet' })).statusCode).toBe(409);
    expect((await call('POST', '/api/invitations', { username: 'romeo' })).statusCode).toBe(409);
    expect((await call('POST', '/api/invitations', { domain: 'nowhere.example' })).statusCode).toBe(
      400,
    );
    expect(
      (await call('POST', '/api/invitations', { inviter: 'ghost@localhost' })).statusCode,
    ).toBe(404);
    expect((await call('POST', '/api/invitations', {}, TOKENS.read)).statusCode).toBe(403);
    expect(
      (await call('POST', '/api/invitations', { domain: 'localhost' }, TOKENS.scoped)).statusCode,
    ).toBe(403);
    expect(
      (await call('POST', '/api/invitations', { domain: 'example.net' }, TOKENS.scoped)).statusCode,
    ).toBe(201);
  });
});
