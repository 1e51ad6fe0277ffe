/**
 * The LoginLimits contract on a real redis-server, two gateways' clients
 * sharing the counters, and keys that always carry a TTL.
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLoginLimits, connectRedis } from '../../src/index.js';
import type { Redis } from '../../src/index.js';
import { OPTIONS, loginLimitsContract } from './contract.js';

let server: RedisServer;
let redis: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedisServer();
  redis = connectRedis(server.url, 'login-limits-test');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('RedisLoginLimits', () => {
  loginLimitsContract(
    async (opts) => new RedisLoginLimits(redis, { ...OPTIONS, ...opts }, `test:login:${++n}`),
  );

  it('two gateways on the same Redis see the same counters and refusals', async () => {
    const prefix = `test:login:${++n}`;
    const other = connectRedis(server.url, 'login-limits-test-2');
    try {
      const a = new RedisLoginLimits(redis, OPTIONS, prefix);
      const b = new RedisLoginLimits(other, OPTIONS, prefix);
      await a.recordFailure('203.0.113.5', 'alice@example.org');
      await b.recordFailure('203.0.113.5', 'alice@example.org');
      expect((await a.address('203.0.113.5')).failures).toBe(2);
      expect(await b.accountFailures('alice@example.org')).toBe(2);
      expect((await b.address('203.0.113.5')).waitMs).toBeGreaterThan(2_000);
      for (let i = 0; i < 3; i++) await a.recordFailure('203.0.113.5');
      expect((await b.address('203.0.113.5')).refusedUntil).toBeGreaterThan(Date.now());
      expect(await b.lift('203.0.113.5')).toBe(true);
      expect((await a.address('203.0.113.5')).refusedUntil).toBeUndefined();
      await a.takeRegistration('203.0.113.6');
      await a.takeRegistration('203.0.113.6');
      expect(await b.takeRegistration('203.0.113.6')).toMatchObject({
        ok: false,
        limit: 'address',
      });
    } finally {
      other.disconnect();
    }
  });

  it('writes no key without a TTL', async () => {
    const prefix = `test:login:${++n}`;
    const l = new RedisLoginLimits(redis, { ...OPTIONS, refuseAfterFailures: 2 }, prefix);
    await l.recordFailure('203.0.113.7', 'bob@example.org');
    await l.recordFailure('203.0.113.7', 'bob@example.org');
    await l.recordFailure('2001:db8::1');
    await l.takeRegistration('203.0.113.7');
    await l.returnRegistration('203.0.113.7');
    await l.returnRegistration('203.0.113.8');
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.sort()).toEqual(
      [
        'af:203.0.113.7',
        'ag:203.0.113.7',
        'ar:203.0.113.7',
        'cf:bob@example.org',
        'af:2001:db8:0:0::/64',
        'ag:2001:db8:0:0::/64',
        'ra:203.0.113.7',
        'rg',
      ]
        .map((k) => `${prefix}:${k}`)
        .sort(),
    );
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0);
  });
});
