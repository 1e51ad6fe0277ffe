/**
 * Partition leases on a real redis-server: one holder at a time, renewal
 * and release only by the holder (a holder that lost its lease is fenced
 * out), expiry in Redis, and a lease taken over once it expired.
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Leases, connectRedis } from '../src/index.js';
import type { Redis } from '../src/index.js';

let server: RedisServer;
let redis: Redis;
let n = 0;
/** Leases under a prefix of their own, so tests never see each other's keys. */
const leases = (ttlMs: number) => new Leases(redis, ttlMs, `test:lease:${++n}`);
const expired = async (l: Leases, name: string) =>
  vi.waitFor(async () => expect(await l.holder(name)).toBeNull(), { timeout: 5000, interval: 20 });

beforeAll(async () => {
  server = await startRedisServer();
  redis = connectRedis(server.url, 'leases-test');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('Leases', () => {
  it('acquire: the first caller holds the lease for its TTL, the others are refused', async () => {
    const l = leases(30_000);
    expect(await l.acquire('p1', 'a')).toBe(true);
    expect(await l.acquire('p1', 'b')).toBe(false);
    expect(await l.acquire('p1', 'a')).toBe(false); // not re-entrant: a holder renews instead
    expect(await l.holder('p1')).toBe('a');
    const ttl = await redis.pttl(`test:lease:${n}:p1`);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    // Another partition is another lease.
    expect(await l.acquire('p2', 'b')).toBe(true);
    expect(await l.holder('p2')).toBe('b');
    expect(await l.holder('p3')).toBeNull();
  });

  it('renew: the holder gets a full TTL again; anyone else is refused and changes nothing', async () => {
    const l = leases(30_000);
    const key = `test:lease:${n}:p1`;
    await l.acquire('p1', 'a');
    await redis.pexpire(key, 5_000); // as if most of the TTL had passed
    expect(await l.renew('p1', 'b')).toBe(false);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(5_000);
    expect(await l.renew('p1', 'a')).toBe(true);
    expect(await redis.pttl(key)).toBeGreaterThan(25_000);
    expect(await l.renew('never-taken', 'a')).toBe(false);
    expect(await l.holder('never-taken')).toBeNull(); // renew does not create a lease
  });

  it('release: only by the holder; then anyone may acquire', async () => {
    const l = leases(30_000);
    await l.acquire('p1', 'a');
    await l.release('p1', 'b');
    expect(await l.holder('p1')).toBe('a');
    await l.release('p1', 'a');
    expect(await l.holder('p1')).toBeNull();
    expect(await l.acquire('p1', 'b')).toBe(true);
  });

  it('expiry: a lease nobody renews ends in Redis, and another worker takes it over', async () => {
    const l = leases(150);
    expect(await l.acquire('p1', 'a')).toBe(true);
    expect(await l.acquire('p1', 'b')).toBe(false);
    await expired(l, 'p1');
    expect(await l.acquire('p1', 'b')).toBe(true);
    expect(await l.holder('p1')).toBe('b');
  });

  it('fencing: a holder whose lease expired and was taken can neither renew nor release it', async () => {
    const l = leases(150);
    const other = new Leases(redis, 30_000, `test:lease:${n}`); // the new holder, same keys
    await l.acquire('p1', 'old');
    await expired(l, 'p1');
    expect(await other.acquire('p1', 'new')).toBe(true);
    expect(await l.renew('p1', 'old')).toBe(false);
    expect(await l.renewMany(['p1'], 'old')).toEqual(['p1']);
    await l.release('p1', 'old');
    await l.releaseAll(['p1'], 'old');
    expect(await l.holder('p1')).toBe('new');
    expect(await other.renew('p1', 'new')).toBe(true);
  });

  it('renewMany: renews what the holder still has, returns the names it lost', async () => {
    const l = leases(30_000);
    await l.acquire('kept-1', 'a');
    await l.acquire('kept-2', 'a');
    await l.acquire('stolen', 'b'); // held by someone else
    await l.acquire('expired', 'a');
    await redis.del(`test:lease:${n}:expired`); // gone, as after expiry or a Redis restart
    for (const k of ['kept-1', 'kept-2']) await redis.pexpire(`test:lease:${n}:${k}`, 1_000);
    expect(await l.renewMany(['kept-1', 'stolen', 'kept-2', 'expired'], 'a')).toEqual([
      'stolen',
      'expired',
    ]);
    for (const k of ['kept-1', 'kept-2'])
      expect(await redis.pttl(`test:lease:${n}:${k}`)).toBeGreaterThan(25_000);
    expect(await l.holder('stolen')).toBe('b');
    expect(await l.holder('expired')).toBeNull(); // not re-created
    expect(await l.renewMany([], 'a')).toEqual([]);
  });

  it("releaseAll: deletes the named leases of one holder, never another holder's", async () => {
    const l = leases(30_000);
    await l.acquire('p1', 'dead');
    await l.acquire('p2', 'dead');
    await l.acquire('p3', 'alive');
    await l.acquire('p4', 'dead'); // not named: kept
    await l.releaseAll(['p1', 'p2', 'p3'], 'dead');
    expect(await l.holder('p1')).toBeNull();
    expect(await l.holder('p2')).toBeNull();
    expect(await l.holder('p3')).toBe('alive');
    expect(await l.holder('p4')).toBe('dead');
    await l.releaseAll([], 'dead');
    expect(await l.holder('p4')).toBe('dead');
  });

  it('the key prefix separates lease groups (the default is parley:lease)', async () => {
    const mine = leases(30_000);
    const theirs = leases(30_000);
    expect(await mine.acquire('p1', 'a')).toBe(true);
    expect(await theirs.acquire('p1', 'b')).toBe(true);
    const byDefault = new Leases(redis, 30_000);
    expect(await byDefault.acquire('test-default', 'a')).toBe(true);
    expect(await redis.get('parley:lease:test-default')).toBe('a');
    await byDefault.release('test-default', 'a');
  });

  it('concurrent acquires of one lease: exactly one wins', async () => {
    const l = leases(30_000);
    const ids = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const won = await Promise.all(ids.map((id) => l.acquire('contended', id)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await l.holder('contended')).toBe(ids[won.indexOf(true)]);
  });
});
