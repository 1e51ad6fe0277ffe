/**
 * The cluster over a nats-server that requires authentication and mutual
 * TLS and a redis-server that requires a password and TLS (docs/security.md):
 * every kind of process has its own NATS user restricted to the subjects
 * docs/security.md lists for it, every secret comes from a file named in a
 * PARLEY_* variable; users on different gateways exchange a message, and
 * the admin API reaches the registry and the MUC worker.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { createTestPki, startNatsServer, startRedisServer } from '@parley/testkit';
import type { NatsPermissions, NatsServer, RedisServer, TestPki } from '@parley/testkit';
import { NATS_SERVICE_PERMISSIONS } from '@parley/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessKind } from '../src/local-cluster.js';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

/** The per-service permissions of docs/security.md, "NATS permissions per service". */
const PERMISSIONS: Record<ProcessKind, NatsPermissions> = NATS_SERVICE_PERMISSIONS;
const KINDS = Object.keys(PERMISSIONS) as ProcessKind[];

const TOKEN = 'secure-admin-token';
const SHA = createHash('sha256').update(TOKEN).digest('hex');

describe('cluster: per-service NATS users with mutual TLS, Redis with a password and TLS', () => {
  let pki: TestPki;
  let nats: NatsServer;
  let redis: RedisServer;
  let t: TestCluster;
  const clients: XmppClient[] = [];
  const api = async (method: string, path: string, body?: unknown) => {
    const base = `http://127.0.0.1:${t.cluster.adminApis[0]!.adminPort}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  beforeAll(async () => {
    pki = await createTestPki();
    const serverTls = {
      certFile: pki.serverCertFile,
      keyFile: pki.serverKeyFile,
      caFile: pki.caFile,
    };
    nats = await startNatsServer({
      auth: {
        users: KINDS.map((kind) => ({
          user: kind,
          password: `${kind}-secret`,
          permissions: PERMISSIONS[kind],
        })),
      },
      tls: { ...serverTls, verify: true },
    });
    redis = await startRedisServer({ password: 'redis-secret', tls: serverTls });
    const secret = (name: string, value: string) => {
      const file = join(pki.dir, name);
      writeFileSync(file, `${value}\n`, { mode: 0o600 });
      return file;
    };
    const natsPasswords = Object.fromEntries(
      KINDS.map((kind) => [kind, secret(`nats-${kind}`, `${kind}-secret`)]),
    );
    t = await startTestCluster(['alice', 'bob'], {
      gateways: 2,
      registries: 1,
      mucs: 1,
      adminApis: 1,
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: {
        // Whatever the test process allows for its own XMPP clients, the services verify.
        NODE_TLS_REJECT_UNAUTHORIZED: '1',
        PARLEY_BUS_NATS_TLS_CA_FILE: pki.caFile,
        PARLEY_BUS_NATS_TLS_CERT_FILE: pki.clientCertFile,
        PARLEY_BUS_NATS_TLS_KEY_FILE: pki.clientKeyFile,
        PARLEY_REDIS_PASSWORD_FILE: secret('redis-password', 'redis-secret'),
        PARLEY_REDIS_TLS_CA_FILE: pki.caFile,
        PARLEY_ADMIN_TOKENS: `ops:${SHA}:admin`,
        PARLEY_MUC_ADMINS: 'admin-api@localhost',
      },
      envFor: (kind) => ({
        PARLEY_BUS_NATS_USER: kind,
        PARLEY_BUS_NATS_PASSWORD_FILE: natsPasswords[kind]!,
      }),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t?.stop();
    await Promise.allSettled([nats?.stop(), redis?.stop()]);
    await pki?.remove();
  }, 60_000);

  it('users on different gateways log in and exchange a message', async () => {
    expect(nats.url).toMatch(/^tls:/);
    expect(redis.url).toMatch(/^rediss:/);
    const alice = await connect({ port: t.port(0), username: 'alice', resource: 'a' });
    const bob = await connect({ port: t.port(1), username: 'bob', resource: 'b' });
    clients.push(alice, bob);
    // Bob's initial presence has been processed once his own presence comes back.
    const available = waitFor(
      bob,
      (el) => el.is('presence') && el.attrs.from === 'bob@localhost/b',
    );
    await bob.send(xml('presence'));
    await available;
    const got = waitFor(bob, (el) => el.is('message') && el.getChildText('body') === 'over TLS');
    await alice.send(
      xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'over TLS')),
    );
    expect((await got).attrs.from).toBe('alice@localhost/a');
  });

  it('the admin API reaches the registry (sessions, stats) and the MUC worker (rooms)', async () => {
    const sessions = await api('GET', '/api/sessions');
    expect(sessions.body).toMatchObject({ complete: true });
    expect((sessions.body['items'] as Array<{ jid: string }>).map((s) => s.jid)).toEqual([
      'alice@localhost/a',
      'bob@localhost/b',
    ]);
    const created = await api('POST', '/api/muc/rooms', {
      room: 'ops@conference.localhost',
      owner: 'bob@localhost',
    });
    expect(created.status).toBe(201);
    const affs = await api('GET', '/api/muc/rooms/ops@conference.localhost/affiliations');
    expect(affs.body).toEqual({ items: [{ jid: 'bob@localhost', affiliation: 'owner' }] });
  });

  it('no process needed a subject outside its permissions', () => {
    expect(nats.output()).not.toMatch(/Violation/i);
  });
});
