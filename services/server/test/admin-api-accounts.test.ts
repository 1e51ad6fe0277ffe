/**
 * Admin API operations on accounts and their stored data, against the
 * running all-in-one server: users, passwords, inactive users, last
 * activity, offline messages, vCards, private XML, status, stats, metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';
import { connect } from './xmppjs.js';

const DAY = 86_400_000;

describe('admin API: accounts and their data', () => {
  let t: AdminTestServer;
  beforeAll(async () => {
    t = await startAdminTestServer();
    for (const u of ['ann', 'ben', 'cat', 'dan', 'eve']) await t.addUser(u);
    await t.addUser('zed');
  });
  afterAll(async () => t.stop());

  it('lists accounts with cursor pagination and counts them', async () => {
    const p1 = await t.api('GET', '/api/users?limit=2&domain=localhost');
    expect(p1.body).toMatchObject({
      items: [{ jid: 'ann@localhost' }, { jid: 'ben@localhost' }],
      next: 'ben@localhost',
    });
    const p2 = (await t.api('GET', '/api/users?limit=10&after=ben@localhost')).body as {
      items: Array<{ jid: string }>;
      next?: string;
    };
    expect(p2.items.map((u) => u.jid)).toEqual([
      'cat@localhost',
      'dan@localhost',
      'eve@localhost',
      'zed@localhost',
    ]);
    expect(p2.next).toBeUndefined();
    expect((await t.api('GET', '/api/users/count')).body).toEqual({ count: 6 });
    expect((await t.api('GET', '/api/users/count?domain=example.net')).body).toEqual({ count: 0 });
    expect((await t.api('GET', '/api/users/ann@localhost')).body).toMatchObject({
      jid: 'ann@localhost',
      banned: false,
    });
    expect((await t.api('GET', '/api/users/nobody@localhost')).status).toBe(404);
    expect((await t.api('GET', '/api/users/not-a-jid')).status).toBe(400);
  });

  it('changes and checks passwords', async () => {
    const check = (pw: string) =>
      t.api('POST', '/api/users/ann@localhost/password/check', { password: pw });
    expect((await check('secret')).body).toEqual({ valid: true });
    expect(
      (await t.api('PUT', '/api/users/ann@localhost/password', { password: 'n3w' })).status,
    ).toBe(204);
    expect((await check('secret')).body).toEqual({ valid: false });
    expect((await check('n3w')).body).toEqual({ valid: true });
    const c = await connect({ port: t.port, username: 'ann', password: 'n3w', resource: 'r' });
    await c.stop();
    expect(
      (await t.api('PUT', '/api/users/nobody@localhost/password', { password: 'x' })).status,
    ).toBe(404);
  });

  it('reads and sets last activity', async () => {
    await t.api('PUT', '/api/users/ben@localhost/last', { ts: 1000, status: 'gone fishing' });
    expect((await t.api('GET', '/api/users/ben@localhost/last')).body).toEqual({
      online: false,
      ts: 1000,
      status: 'gone fishing',
    });
    expect((await t.api('GET', '/api/users/zed@localhost/last')).body).toEqual({ online: false });
    expect((await t.api('GET', '/api/users/nobody@localhost/last')).status).toBe(404);
  });

  it('lists and removes users inactive for more than N days', async () => {
    const { accounts, lastActivity } = t.server.stores;
    const old = Date.now() - 40 * DAY;
    for (const u of ['cat', 'dan']) await lastActivity.set(`${u}@localhost`, { ts: old });
    const eve = (await accounts.get('eve@localhost'))!;
    await accounts.update({ ...eve, createdAt: old }); // never logged in, created long ago
    await lastActivity.set('ben@localhost', { ts: Date.now() - DAY });
    await lastActivity.set('zed@localhost', { ts: old });
    const zed = await connect({ port: t.port, username: 'zed', resource: 'online' }); // online: active
    try {
      const list = (await t.api('GET', '/api/users/inactive?days=30')).body as {
        items: Array<{ jid: string }>;
      };
      expect(list.items.map((u) => u.jid)).toEqual([
        'cat@localhost',
        'dan@localhost',
        'eve@localhost',
      ]);
      const page = (await t.api('GET', '/api/users/inactive?days=30&limit=1')).body as {
        items: unknown[];
        next: string;
      };
      expect(page).toMatchObject({ items: [{ jid: 'cat@localhost' }], next: 'cat@localhost' });
      expect((await t.api('GET', '/api/users/inactive')).status).toBe(400);
      const r1 = (await t.api('DELETE', '/api/users/inactive?days=30&limit=2')).body as {
        removed: string[];
        next?: string;
      };
      expect(r1.removed).toEqual(['cat@localhost', 'dan@localhost']);
      const r2 = (await t.api('DELETE', `/api/users/inactive?days=30&limit=2&after=${r1.next}`))
        .body as { removed: string[]; next?: string };
      expect(r2.removed).toEqual(['eve@localhost']);
      expect(r2.next).toBeUndefined();
      expect((await t.api('GET', '/api/users/count')).body).toEqual({ count: 3 });
    } finally {
      await zed.stop();
    }
  });

  it('lists and deletes offline messages', async () => {
    const { offline } = t.server.stores;
    const now = Date.now();
    await offline.push(
      'ben@localhost',
      '<message to="ben@localhost"><body>1</body></message>',
      now - 10 * DAY,
      100,
    );
    await offline.push(
      'ben@localhost',
      '<message to="ben@localhost"><body>2</body></message>',
      now,
      100,
    );
    await offline.push(
      'zed@localhost',
      '<message to="zed@localhost"><body>3</body></message>',
      now,
      100,
    );
    const list = (await t.api('GET', '/api/users/ben@localhost/offline?limit=1')).body as {
      items: Array<{ xml: string }>;
      next: string;
      total: number;
    };
    expect(list.total).toBe(2);
    expect(list.items[0]!.xml).toContain('<body>1</body>');
    const rest = (await t.api('GET', `/api/users/ben@localhost/offline?after=${list.next}`))
      .body as { items: Array<{ xml: string }> };
    expect(rest.items.map((m) => m.xml)).toEqual([expect.stringContaining('<body>2</body>')]);
    expect((await t.api('DELETE', '/api/offline/old?days=5')).body).toEqual({ deleted: 1 });
    expect((await t.api('DELETE', '/api/users/ben@localhost/offline')).body).toEqual({
      deleted: 1,
    });
    expect((await t.api('GET', '/api/users/zed@localhost/offline')).body).toMatchObject({
      total: 1,
    });
  });

  it('sets, reads and clears a vCard', async () => {
    expect((await t.api('GET', '/api/users/ben@localhost/vcard')).status).toBe(404);
    const vcard = "<vCard xmlns='vcard-temp'><FN>Ben</FN><NICKNAME>benny</NICKNAME></vCard>";
    expect((await t.api('PUT', '/api/users/ben@localhost/vcard', { xml: vcard })).status).toBe(204);
    const got = (await t.api('GET', '/api/users/ben@localhost/vcard')).body as { xml: string };
    expect(got.xml).toContain('<FN>Ben</FN>');
    expect((await t.api('PUT', '/api/users/ben@localhost/vcard', { xml: '<vCard/>' })).status).toBe(
      400,
    );
    expect((await t.api('PUT', '/api/users/ben@localhost/vcard', { xml: '<vCard' })).status).toBe(
      400,
    );
    expect((await t.api('PUT', '/api/users/nobody@localhost/vcard', { xml: vcard })).status).toBe(
      404,
    );
    expect((await t.api('DELETE', '/api/users/ben@localhost/vcard')).status).toBe(204);
    expect((await t.api('GET', '/api/users/ben@localhost/vcard')).status).toBe(404);
  });

  it('stores and reads private XML', async () => {
    const empty = await t.api(
      'GET',
      '/api/users/ben@localhost/private?name=prefs&ns=urn:example:prefs',
    );
    expect(empty.status).toBe(200);
    expect((empty.body as { xml: string }).xml).toMatch(
      /^<prefs xmlns=["']urn:example:prefs["']\/>$/,
    );
    const el = "<prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs>";
    expect((await t.api('PUT', '/api/users/ben@localhost/private', { xml: el })).status).toBe(204);
    const got = (
      await t.api('GET', '/api/users/ben@localhost/private?name=prefs&ns=urn:example:prefs')
    ).body as { xml: string };
    expect(got.xml).toContain('<theme>dark</theme>');
    expect(
      (await t.api('PUT', '/api/users/ben@localhost/private', { xml: '<nons/>' })).status,
    ).toBe(400);
    expect((await t.api('GET', '/api/users/ben@localhost/private?name=prefs')).status).toBe(400);
  });

  it('reports status, stats and metrics', async () => {
    const status = (await t.api('GET', '/api/status', undefined, TOKENS.read)).body;
    expect(status).toMatchObject({
      status: 'running',
      node: 'test',
      domains: ['localhost', 'example.net'],
    });
    const stats = (await t.api('GET', '/api/stats')).body as Record<string, unknown>;
    expect(stats).toMatchObject({
      registeredUsers: 3,
      onlineSessions: 0,
      onlineUsers: 0,
      complete: true,
    });
    const scoped = (await t.api('GET', '/api/stats', undefined, TOKENS.scoped)).body as Record<
      string,
      unknown
    >;
    expect(scoped).toMatchObject({ registeredUsers: 0, onlineSessions: 0 });
    const metrics = await t.api('GET', '/api/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('parley_router_delivered_total');
  });
});
