import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases, RedisOwnership, connectRedis, ownerOf, partitionsFor } from '../src/index.js';
import type { Redis } from '../src/index.js';

describe('rendezvous hashing', () => {
  it('assigns every partition to exactly one member, roughly evenly', () => {
    const members = ['w1', 'w2', 'w3'];
    const counts = members.map((m) => partitionsFor(m, members, 64).length);
    expect(counts.reduce((a, b) => a + b)).toBe(64);
    for (const c of counts) expect(c).toBeGreaterThan(10);
  });
  it('moves only the partitions of a member that leaves', () => {
    const before = Array.from({ length: 64 }, (_, p) => ownerOf(p, ['a', 'b', 'c']));
    const after = Array.from({ length: 64 }, (_, p) => ownerOf(p, ['a', 'b']));
    for (let p = 0; p < 64; p++) if (before[p] !== 'c') expect(after[p]).toBe(before[p]);
  });
});

describe('leases and ownership on a real redis-server', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const redis = () => {
    const r = connectRedis(server.url, 'test');
    clients.push(r);
    return r;
  };
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server.stop();
  });

  it('a lease has one holder until released or expired', async () => {
    const l = new Leases(redis(), 300, 'test:lease');
    expect(await l.acquire('p1', 'a')).toBe(true);
    expect(await l.acquire('p1', 'b')).toBe(false);
    expect(await l.renew('p1', 'b')).toBe(false);
    expect(await l.renew('p1', 'a')).toBe(true);
    await l.release('p1', 'b');
    expect(await l.holder('p1')).toBe('a');
    await l.release('p1', 'a');
    expect(await l.acquire('p1', 'b')).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(await l.acquire('p1', 'c')).toBe(true);
  });

  it('two workers split the partitions; when one dies the other takes them all', async () => {
    const partitions = 16;
    const held = new Map<number, string>();
    const handlers = (id: string) => ({
      acquire: async (p: number) => {
        expect(held.get(p)).toBeUndefined();
        held.set(p, id);
      },
      release: async (p: number) => {
        expect(held.get(p)).toBe(id);
        held.delete(p);
      },
    });
    const a = new RedisOwnership({
      redis: redis(),
      workerId: 'wa',
      partitions,
      ttlMs: 600,
      intervalMs: 100,
    });
    const b = new RedisOwnership({
      redis: redis(),
      workerId: 'wb',
      partitions,
      ttlMs: 600,
      intervalMs: 100,
    });
    await a.start(handlers('wa'));
    await b.start(handlers('wb'));
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(
      () =>
        a.owned().length > 0 &&
        b.owned().length > 0 &&
        a.owned().length + b.owned().length === partitions,
    );
    expect(new Set([...a.owned(), ...b.owned()]).size).toBe(partitions);

    // "Kill" b: it stops heartbeating and renewing without releasing anything.
    const bOwned = b.owned();
    (b as unknown as { stopped: boolean }).stopped = true;
    clearInterval((b as unknown as { timer: NodeJS.Timeout }).timer);
    for (const p of bOwned) held.delete(p); // its process is gone
    const t0 = Date.now();
    await until(() => a.owned().length === partitions);
    expect(Date.now() - t0).toBeLessThan(3000);
    await a.stop();
    expect(held.size).toBe(0);
  });
});

describe('failure counter on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = connectRedis(server.url, 'test');
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('counts per key across clients, expires, and resets', async () => {
    const { RedisFailureCounter } = await import('../src/index.js');
    const a = new RedisFailureCounter(redis, 300);
    const other = connectRedis(server.url, 'other');
    const b = new RedisFailureCounter(other, 300);
    expect(await a.record('10.0.0.1')).toBe(1);
    expect(await b.record('10.0.0.1')).toBe(2);
    expect(await a.record('10.0.0.2')).toBe(1);
    await a.reset('10.0.0.1');
    expect(await b.record('10.0.0.1')).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await a.record('10.0.0.2')).toBe(1);
    other.disconnect();
  });
});
