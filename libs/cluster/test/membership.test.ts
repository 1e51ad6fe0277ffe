/**
 * Membership by heartbeat on a real redis-server: a member is live until
 * its heartbeat's expiry, expired members are pruned, `leave` removes one
 * at once. Time is the `now` the callers pass (the clock of the process),
 * or Date.now() faked, never waited for.
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Membership, connectRedis } from '../src/index.js';
import type { Redis } from '../src/index.js';

let server: RedisServer;
let redis: Redis;
let n = 0;
const prefix = () => `test${++n}`;
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  server = await startRedisServer();
  redis = connectRedis(server.url, 'membership-test');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Membership', () => {
  it('lists members with a live heartbeat, sorted', async () => {
    const m = new Membership(redis, 'registry', 1000, prefix());
    for (const id of ['w3', 'w1', 'w2']) await m.heartbeat(id, T0);
    expect(await m.live(T0)).toEqual(['w1', 'w2', 'w3']);
    expect(await m.live(T0 + 999)).toEqual(['w1', 'w2', 'w3']);
  });

  it('a member whose heartbeat stopped drops out after the TTL and is pruned from Redis', async () => {
    const p = prefix();
    const m = new Membership(redis, 'registry', 1000, p);
    await m.heartbeat('quiet', T0);
    await m.heartbeat('busy', T0);
    await m.heartbeat('busy', T0 + 800);
    expect(await m.isLive('quiet', T0 + 999)).toBe(true);
    // Expiry is exclusive: at T0 + ttl the heartbeat is over.
    expect(await m.isLive('quiet', T0 + 1000)).toBe(false);
    expect(await m.live(T0 + 1000)).toEqual(['busy']);
    expect(await redis.zrange(`${p}:members:registry`, '0', '-1')).toEqual(['busy']);
    expect(await m.live(T0 + 1800)).toEqual([]);
    expect(await redis.exists(`${p}:members:registry`)).toBe(0);
  });

  it('a heartbeat extends the expiry to now + TTL, also after the member had expired', async () => {
    const m = new Membership(redis, 'gateway', 500, prefix());
    await m.heartbeat('g1', T0);
    expect(await m.isLive('g1', T0 + 600)).toBe(false);
    await m.heartbeat('g1', T0 + 600);
    expect(await m.isLive('g1', T0 + 1099)).toBe(true);
    expect(await m.live(T0 + 1099)).toEqual(['g1']);
  });

  it('leave removes a member at once', async () => {
    const m = new Membership(redis, 'registry', 60_000, prefix());
    await m.heartbeat('w1', T0);
    await m.heartbeat('w2', T0);
    await m.leave('w1');
    expect(await m.live(T0)).toEqual(['w2']);
    expect(await m.isLive('w1', T0)).toBe(false);
    await m.leave('never-joined');
    expect(await m.live(T0)).toEqual(['w2']);
  });

  it('roles and prefixes are separate sets (parley:members:<role> by default)', async () => {
    const p = prefix();
    const gateways = new Membership(redis, 'gateway', 1000, p);
    const registries = new Membership(redis, 'registry', 1000, p);
    await gateways.heartbeat('x', T0);
    expect(await registries.live(T0)).toEqual([]);
    expect(await registries.isLive('x', T0)).toBe(false);
    const byDefault = new Membership(redis, 'test-role', 1000);
    await byDefault.heartbeat('x', T0);
    expect(await redis.zscore('parley:members:test-role', 'x')).toBe(String(T0 + 1000));
    await byDefault.leave('x');
  });

  it('without an explicit time it uses the process clock (Date.now)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    const m = new Membership(redis, 'registry', 1000, prefix());
    await m.heartbeat('w1');
    expect(await m.live()).toEqual(['w1']);
    expect(await m.isLive('w1')).toBe(true);
    vi.setSystemTime(T0 + 999);
    expect(await m.live()).toEqual(['w1']);
    vi.setSystemTime(T0 + 1000);
    expect(await m.isLive('w1')).toBe(false);
    expect(await m.live()).toEqual([]);
  });
});
