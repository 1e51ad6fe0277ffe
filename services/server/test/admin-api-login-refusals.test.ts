/**
 * Issue 15: an address refused after repeated failed logins is listed by
 * the admin API and `xmppctl api`, and lifting the refusal lets it log in
 * again at once. Real failed logins of @xmpp/client against the running
 * all-in-one server (memory login limits, shared by its gateway and API);
 * the same in a cluster over Redis: admin-api-cluster.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApiCommand } from '../src/admin-cli.js';
import type { ApiCliIo } from '../src/admin-cli.js';
import { TOKENS, startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';
import { connect } from './xmppjs.js';

/** What logging in as alice gave: online, or the error it failed with. */
async function login(port: number, password: string): Promise<string> {
  try {
    const c = await connect({ port, username: 'alice', password });
    await c.stop();
    return 'online';
  } catch (err) {
    const e = err as { condition?: string; name?: string };
    return e.condition ?? e.name ?? String(err);
  }
}

/** Fails logins from 127.0.0.1 until the address is refused; a correct password is then refused too. */
async function getRefused(t: AdminTestServer): Promise<void> {
  for (let i = 0; i < 3; i++) expect(await login(t.port, `wrong-${i}`)).toBe('not-authorized');
  expect(await login(t.port, 'secret')).toBe('policy-violation');
}

describe('login refusals through the admin API and xmppctl', () => {
  let t: AdminTestServer;
  let out: string[];
  let io: ApiCliIo;
  const xmppctl = async (...argv: string[]) => {
    out = [];
    return runApiCommand(argv, io);
  };

  beforeAll(async () => {
    t = await startAdminTestServer({
      c2s: { loginLimits: { refuseAfterFailures: 3 } },
    });
    await t.addUser('alice');
    const app = t.server.adminApi!.app;
    io = {
      // The CLI's HTTP requests, through fastify's inject.
      fetch: async (url, init) => {
        const u = new URL(url);
        const res = await app.inject({
          method: init.method as 'GET',
          url: u.pathname + u.search,
          headers: init.headers,
          ...(init.body !== undefined ? { payload: init.body } : {}),
        });
        return {
          status: res.statusCode,
          headers: {
            get: (n: string) => (res.headers[n.toLowerCase()] as string | undefined) ?? null,
          },
          text: async () => res.body,
        };
      },
      env: { PARLEY_ADMIN_TOKEN: TOKENS.admin },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      defaultUrl: () => 'http://127.0.0.1:5285',
    };
  });
  afterAll(async () => t.stop());

  it('lists the refused address and lifts it: the correct password logs in again', async () => {
    expect((await t.api('GET', '/api/login-refusals')).body).toEqual({ items: [] });
    await getRefused(t);
    const listed = await t.api('GET', '/api/login-refusals', undefined, TOKENS.read);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [{ address: '127.0.0.1', until: expect.any(Number), failures: 3 }],
    });
    expect((await t.api('DELETE', '/api/login-refusals/127.0.0.1')).status).toBe(204);
    expect(await login(t.port, 'secret')).toBe('online');
    expect((await t.api('DELETE', '/api/login-refusals/127.0.0.1')).status).toBe(404);
    expect((await t.api('GET', '/api/login-refusals')).body).toEqual({ items: [] });
  });

  it('does the same with xmppctl api', async () => {
    await getRefused(t);
    expect(await xmppctl('listLoginRefusals')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      items: [{ address: '127.0.0.1', failures: 3 }],
    });
    expect(await xmppctl('liftLoginRefusal', '127.0.0.1')).toBe(0);
    expect(out).toEqual(['ok (204)']);
    expect(await login(t.port, 'secret')).toBe('online');
    expect(await xmppctl('liftLoginRefusal', '127.0.0.1')).toBe(1);
    expect(out.join('\n')).toMatch(/^error 404 not-found/);
    expect(await xmppctl('liftLoginRefusal', 'localhost')).toBe(1);
    expect(out.join('\n')).toMatch(/^error 400 bad-request/);
  });
});
