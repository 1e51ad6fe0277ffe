/**
 * The cluster-wide failure counter (failed logins per client address) on a
 * real redis-server: counts per key, every event extends the expiry, the
 * count starts over once it expired or was reset, and concurrent gateways
 * never lose a count.
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisFailureCounter, connectRedis } from '../src/index.js';
import type { Redis } from '../src/index.js';

let server: RedisServer;
let redis: Redis;
let n = 0;
const counter = (ttlMs: number) => {
  const prefix = `test:fail:${++n}`;
  return { c: new RedisFailureCounter(redis, ttlMs, prefix), key: (k: string) => `${prefix}:${k}` };
};

beforeAll(async () => {
  server = await startRedisServer();
  redis = connectRedis(server.url, 'failure-counter-test');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('RedisFailureCounter', () => {
  it('counts events per key', async () => {
    const { c } = counter(60_000);
    expect(await c.record('203.0.113.7')).toBe(1);
    expect(await c.record('203.0.113.7')).toBe(2);
    expect(await c.record('198.51.100.1')).toBe(1);
    expect(await c.record('203.0.113.7')).toBe(3);
  });

  it('each event extends the expiry to a full TTL (a sliding window)', async () => {
    const { c, key } = counter(60_000);
    await c.record('k');
    await redis.pexpire(key('k'), 1_000); // most of the window has passed
    expect(await c.record('k')).toBe(2);
    expect(await redis.pttl(key('k'))).toBeGreaterThan(55_000);
  });

  it('a count that expired starts over', async () => {
    const { c, key } = counter(100);
    await c.record('k');
    await c.record('k');
    await vi.waitFor(async () => expect(await redis.exists(key('k'))).toBe(0), {
      timeout: 5000,
      interval: 20,
    });
    expect(await c.record('k')).toBe(1);
  });

  it('reset forgets one key only', async () => {
    const { c } = counter(60_000);
    await c.record('a');
    await c.record('a');
    await c.record('b');
    await c.reset('a');
    expect(await c.record('a')).toBe(1);
    expect(await c.record('b')).toBe(2);
    await c.reset('never-seen');
  });

  it('two gateways recording at once lose no event', async () => {
    const { c } = counter(60_000);
    const second = connectRedis(server.url, 'failure-counter-test-2');
    const other = new RedisFailureCounter(second, 60_000, `test:fail:${n}`);
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? c : other).record('shared')),
    );
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    second.disconnect();
  });

  it('keys live under parley:authfail by default', async () => {
    const c = new RedisFailureCounter(redis, 60_000);
    await c.record('test-default');
    expect(await redis.get('parley:authfail:test-default')).toBe('1');
    await c.reset('test-default');
    expect(await redis.exists('parley:authfail:test-default')).toBe(0);
  });
});
