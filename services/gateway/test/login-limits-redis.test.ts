/**
 * Login limits shared through a real redis-server: two gateways of one
 * cluster see the same failures and refusals, and with Redis down logins go
 * on (fail open), counted and logged.
 */
import { RedisLoginLimits, connectRedis, loginLimitsOptions } from '@parley/cluster';
import type { Redis } from '@parley/cluster';
import { defaultConfig } from '@parley/config';
import { NS_SASL } from '@parley/stanza';
import { hasBinary, startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v1Header } from './helpers/proxy-headers.js';
import { startHarness } from './helpers/harness.js';
import type { Harness, HarnessOptions } from './helpers/harness.js';
import type { TestClient } from './helpers/test-client.js';

const limited = (c: ReturnType<typeof defaultConfig>) => {
  c.c2s.proxyProtocol = true;
  c.c2s.proxyTrustedAddresses = ['127.0.0.1'];
  c.c2s.authFailureDelayMs = 20;
  c.c2s.authFailureMaxDelayMs = 20;
  c.c2s.loginLimits.refuseAfterFailures = 3;
};

let port = 41_000;
async function ready(h: Harness, ip: string): Promise<TestClient> {
  const c = await h.connect({
    proxyHeader: v1Header({ ip, port: port++ }, { ip: '192.0.2.1', port: h.port }),
  });
  await c.open();
  await c.starttls();
  await c.open();
  return c;
}

describe.skipIf(!hasBinary('redis-server'))('login limits in Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const harnesses: Harness[] = [];
  let n = 0;

  /** A gateway whose login limits live in Redis under a prefix of the test. */
  async function gateway(prefix: string, opts: HarnessOptions = {}): Promise<Harness> {
    const config = defaultConfig();
    limited(config);
    const redis = connectRedis(server.url, `login-limits-${harnesses.length}`);
    redis.on('error', () => undefined); // Redis is stopped on purpose below.
    clients.push(redis);
    const h = await startHarness({
      ...opts,
      configure: limited,
      gatewayDeps: {
        loginLimits: new RedisLoginLimits(redis, loginLimitsOptions(config), prefix),
      },
    });
    harnesses.push(h);
    return h;
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const h of harnesses.reverse()) await h.close();
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  it('two gateways count the same failures and refuse the same address', async () => {
    const prefix = `t${++n}`;
    const gw1 = await gateway(prefix, { gatewayId: 'gw1' });
    const gw2 = await gateway(prefix, { gatewayId: 'gw2', cluster: gw1 });
    await gw1.createAccount('alice', 'wonderland');
    const ip = '203.0.113.40';
    const a = await ready(gw1, ip);
    const b = await ready(gw2, ip);
    expect((await a.scram('alice', 'one')).localName).toBe('failure');
    expect((await b.scram('alice', 'two')).localName).toBe('failure');
    // The third failure, on gw1, refuses the address on gw2 too.
    expect((await a.scram('alice', 'three')).localName).toBe('failure');
    expect(await a.streamError()).toBe('policy-violation');
    const late = await gw2.connect({
      proxyHeader: v1Header({ ip, port: port++ }, { ip: '192.0.2.1', port: gw2.port }),
    });
    expect(await late.streamError()).toBe('policy-violation');
    expect(await gw2.metrics.value('c2s_refused_total', { stage: 'connect' })).toBe(1);
    // Another address logs in on either gateway.
    const other = await ready(gw2, '203.0.113.41');
    expect((await other.scram('alice', 'wonderland')).is('success', NS_SASL)).toBe(true);
    b.close();
    other.close();
  });

  it('lets logins through when Redis is down, counting and logging the errors', async () => {
    const h = await gateway(`t${++n}`);
    await h.createAccount('bob', 'builder');
    await server.kill();
    try {
      const c = await ready(h, '203.0.113.50');
      expect((await c.scram('bob', 'wrong')).localName).toBe('failure');
      expect((await c.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
      c.close();
      expect(await h.metrics.value('c2s_login_limits_errors_total')).toBeGreaterThan(0);
      await h.logged('login limits store failed; logins go on unthrottled');
    } finally {
      await server.start();
    }
  });
});
