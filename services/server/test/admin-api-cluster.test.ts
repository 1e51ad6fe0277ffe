/**
 * The admin API as its own process in a cluster: over NATS to two
 * session-registry workers and a MUC worker, real HTTP on its own port.
 */
import { createHash } from 'node:crypto';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const TOKEN = 'cluster-admin-token';
const SHA = createHash('sha256').update(TOKEN).digest('hex');

describe('cluster: the admin API process', () => {
  let t: TestCluster;
  let base: string;
  const clients: XmppClient[] = [];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  };

  beforeAll(async () => {
    t = await startTestCluster(['bob'], {
      gateways: 1,
      registries: 2,
      mucs: 1,
      adminApis: 1,
      env: {
        PARLEY_ADMIN_TOKENS: `ops:${SHA}:admin`,
        PARLEY_MUC_ADMINS: 'admin-api@localhost',
        // Refusals after 3 failed logins, with short delays (the last test).
        PARLEY_C2S_LOGIN_LIMITS_REFUSE_AFTER_FAILURES: '3',
        PARLEY_C2S_AUTH_FAILURE_DELAY_MS: '10',
      },
    });
    base = `http://127.0.0.1:${t.cluster.adminApis[0]!.adminPort}`;
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t?.stop();
  }, 60_000);

  it('serves its OpenAPI document and refuses requests without a token', async () => {
    const doc = await fetch(`${base}/openapi.json`);
    expect(doc.status).toBe(200);
    const res = await fetch(`${base}/api/stats`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('registers a user who logs in, sends it a message, lists and kicks its session', async () => {
    expect(
      (await api('POST', '/api/users', { jid: 'alice@localhost', password: 'pw' })).status,
    ).toBe(201);
    const alice = await connect({
      port: t.port(0),
      username: 'alice',
      password: 'pw',
      resource: 'a',
    });
    const bob = await connect({ port: t.port(0), username: 'bob', resource: 'b' });
    clients.push(alice, bob);
    await alice.send(xml('presence'));
    const got = waitFor(alice, (el) => el.is('message') && el.getChildText('body') === 'over NATS');
    expect(
      (
        await api('POST', '/api/messages', {
          from: 'bob@localhost',
          to: 'alice@localhost',
          body: 'over NATS',
        })
      ).status,
    ).toBe(202);
    await got;

    const sessions = await api('GET', '/api/sessions');
    expect(sessions.body).toMatchObject({ complete: true });
    expect((sessions.body!['items'] as Array<{ jid: string }>).map((s) => s.jid)).toEqual([
      'alice@localhost/a',
      'bob@localhost/b',
    ]);
    const stats = await api('GET', '/api/stats');
    expect(stats.body).toMatchObject({
      onlineSessions: 2,
      onlineUsers: 2,
      registeredUsers: 2,
      complete: true,
    });
    expect((stats.body!['nodes'] as unknown[]).length).toBe(2);

    const closed = new Promise<void>((r) => alice.on('disconnect', () => r()));
    expect((await api('DELETE', '/api/users/alice@localhost/sessions/a')).body).toEqual({
      kicked: 1,
    });
    await closed;
  });

  it('creates a room and reads its configuration through the MUC worker', async () => {
    const created = await api('POST', '/api/muc/rooms', {
      room: 'ops@conference.localhost',
      owner: 'bob@localhost',
    });
    expect(created.status).toBe(201);
    const affs = await api('GET', '/api/muc/rooms/ops@conference.localhost/affiliations');
    expect(affs.body).toEqual({ items: [{ jid: 'bob@localhost', affiliation: 'owner' }] });
  });

  it('lists and lifts an address refused by the gateway, in Redis', async () => {
    const login = async (password: string): Promise<string> => {
      try {
        const c = await connect({ port: t.port(0), username: 'bob', password });
        await c.stop();
        return 'online';
      } catch (err) {
        return (err as { condition?: string }).condition ?? String(err);
      }
    };
    for (let i = 0; i < 3; i++) expect(await login(`wrong-${i}`)).toBe('not-authorized');
    // Refused: the gateway's check (in Redis) may close the stream with policy-violation
    // while the client is already in its STARTTLS handshake, which it then reports instead.
    expect(await login('secret')).toMatch(/^policy-violation$|before secure TLS connection/);
    const listed = await api('GET', '/api/login-refusals');
    expect(listed.body).toEqual({
      items: [{ address: '127.0.0.1', until: expect.any(Number), failures: 3 }],
    });
    expect((await api('DELETE', '/api/login-refusals/127.0.0.1')).status).toBe(204);
    expect(await login('secret')).toBe('online');
    expect((await api('GET', '/api/login-refusals')).body).toEqual({ items: [] });
    expect((await api('DELETE', '/api/login-refusals/127.0.0.1')).status).toBe(404);
  });
});
