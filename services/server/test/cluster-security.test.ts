/**
 * The cluster over a nats-server that requires authentication and mutual
 * TLS and a redis-server that requires a password and TLS (docs/security.md):
 * every process gets its credentials from files named in PARLEY_* variables,
 * and two users on different gateways log in and exchange a message.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { createTestPki, startNatsServer, startRedisServer } from '@parley/testkit';
import type { NatsServer, RedisServer, TestPki } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

describe('cluster: NATS with user/password and mutual TLS, Redis with a password and TLS', () => {
  let pki: TestPki;
  let nats: NatsServer;
  let redis: RedisServer;
  let t: TestCluster;
  const clients: XmppClient[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    const serverTls = {
      certFile: pki.serverCertFile,
      keyFile: pki.serverKeyFile,
      caFile: pki.caFile,
    };
    nats = await startNatsServer({
      auth: { users: [{ user: 'parley', password: 'nats-secret' }] },
      tls: { ...serverTls, verify: true },
    });
    redis = await startRedisServer({ password: 'redis-secret', tls: serverTls });
    const secret = (name: string, value: string) => {
      const file = join(pki.dir, name);
      writeFileSync(file, `${value}\n`, { mode: 0o600 });
      return file;
    };
    t = await startTestCluster(['alice', 'bob'], {
      gateways: 2,
      registries: 1,
      mucs: 0,
      natsUrl: nats.url,
      redisUrl: redis.url,
      env: {
        // Whatever the test process allows for its own XMPP clients, the services verify.
        NODE_TLS_REJECT_UNAUTHORIZED: '1',
        PARLEY_BUS_NATS_USER: 'parley',
        PARLEY_BUS_NATS_PASSWORD_FILE: secret('nats-password', 'nats-secret'),
        PARLEY_BUS_NATS_TLS_CA_FILE: pki.caFile,
        PARLEY_BUS_NATS_TLS_CERT_FILE: pki.clientCertFile,
        PARLEY_BUS_NATS_TLS_KEY_FILE: pki.clientKeyFile,
        PARLEY_REDIS_PASSWORD_FILE: secret('redis-password', 'redis-secret'),
        PARLEY_REDIS_TLS_CA_FILE: pki.caFile,
      },
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
});
