/**
 * The mirror of a partition's session table (RedisSessionStore on a real
 * redis-server; NoSessionStore for the single node) and the deliveries
 * parked for resumable sessions whose gateway died.
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoSessionStore, RedisSessionStore, connectRedis } from '../src/index.js';
import type { Redis, SessionRecord, SessionStore } from '../src/index.js';

const record = (bare: string, resource: string, extra: Partial<SessionRecord> = {}) =>
  ({
    bare,
    resource,
    gw: 'gw1',
    conn: `c-${resource}`,
    available: false,
    priority: 0,
    interested: false,
    directed: [],
    boundAt: 1_700_000_000_000,
    ...extra,
  }) satisfies SessionRecord;

const byJid = (rs: SessionRecord[]) =>
  [...rs].sort((a, b) => `${a.bare}/${a.resource}`.localeCompare(`${b.bare}/${b.resource}`));

describe('RedisSessionStore on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  let n = 0;
  const store = (partitions = 4) => {
    const prefix = `test:sess:${++n}`;
    return { s: new RedisSessionStore(redis, partitions, prefix), prefix };
  };
  beforeAll(async () => {
    server = await startRedisServer();
    redis = connectRedis(server.url, 'session-store-test');
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('keeps every field of a record, per partition', async () => {
    const { s } = store();
    const full = record('alice@example.org', 'phone', {
      available: true,
      priority: -5,
      presence: `<presence xmlns='jabber:client'><show>away</show></presence>`,
      interested: true,
      directed: ['room@conference.example.org/alice', 'erin@example.org'],
      flags: { carbons: true },
      parked: true,
    });
    const plain = record('bob@example.org', 'laptop');
    await s.put(1, full);
    await s.put(1, plain);
    await s.put(2, record('carol@example.org', 'x'));
    expect(byJid(await s.loadPartition(1))).toEqual([full, plain]);
    expect((await s.loadPartition(2)).map((r) => r.bare)).toEqual(['carol@example.org']);
    expect(await s.loadPartition(3)).toEqual([]);
  });

  it('put replaces the record of the same full JID; remove forgets one resource', async () => {
    const { s } = store();
    await s.put(0, record('alice@example.org', 'a'));
    await s.put(0, record('alice@example.org', 'b'));
    await s.put(0, record('alice@example.org', 'a', { conn: 'new-conn', available: true }));
    expect(byJid(await s.loadPartition(0)).map((r) => [r.resource, r.conn])).toEqual([
      ['a', 'new-conn'],
      ['b', 'c-b'],
    ]);
    await s.remove(0, 'alice@example.org', 'a');
    await s.remove(0, 'alice@example.org', 'never-bound');
    expect((await s.loadPartition(0)).map((r) => r.resource)).toEqual(['b']);
  });

  it('skips a corrupt entry and still loads the rest', async () => {
    const { s, prefix } = store();
    await s.put(3, record('alice@example.org', 'a'));
    await redis.hset(`${prefix}:3`, 'bob@example.org/x', '{not json');
    expect((await s.loadPartition(3)).map((r) => r.bare)).toEqual(['alice@example.org']);
  });

  it('counts the sessions of every partition', async () => {
    const { s } = store(3);
    expect(await s.count()).toBe(0);
    await s.put(0, record('a@example.org', '1'));
    await s.put(0, record('a@example.org', '2'));
    await s.put(2, record('b@example.org', '1'));
    expect(await s.count()).toBe(3);
    await s.remove(0, 'a@example.org', '1');
    expect(await s.count()).toBe(2);
  });

  it('park and unpark: deliveries kept in order for one session, taken once', async () => {
    const { s } = store();
    await s.park(1, 'alice@example.org', 'phone', 'd1', 60_000);
    await s.park(1, 'alice@example.org', 'phone', 'd2', 60_000);
    await s.park(1, 'alice@example.org', 'laptop', 'other', 60_000);
    expect(await s.unpark(1, 'alice@example.org', 'phone')).toEqual(['d1', 'd2']);
    expect(await s.unpark(1, 'alice@example.org', 'phone')).toEqual([]);
    expect(await s.unpark(1, 'alice@example.org', 'laptop')).toEqual(['other']);
    expect(await s.unpark(2, 'nobody@example.org', 'x')).toEqual([]);
  });

  it('parked deliveries expire after their TTL, renewed by each new one', async () => {
    const { s } = store();
    const key = 'parley:park:0:dave@example.org/r';
    await s.park(0, 'dave@example.org', 'r', 'd1', 1_000);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(1_000);
    await s.park(0, 'dave@example.org', 'r', 'd2', 60_000);
    expect(await redis.pttl(key)).toBeGreaterThan(55_000);
    await s.unpark(0, 'dave@example.org', 'r');
    expect(await redis.exists(key)).toBe(0);
  });

  it('records live in the hash <prefix>:<partition> (parley:sess by default)', async () => {
    const s = new RedisSessionStore(redis, 2);
    await s.put(1, record('default@example.org', 'r'));
    expect(JSON.parse((await redis.hget('parley:sess:1', 'default@example.org/r'))!)).toEqual(
      record('default@example.org', 'r'),
    );
    await s.remove(1, 'default@example.org', 'r');
  });
});

describe('NoSessionStore (single node)', () => {
  it('mirrors nothing', async () => {
    const s: SessionStore = new NoSessionStore();
    await s.put(0, record('alice@example.org', 'a'));
    expect(await s.loadPartition(0)).toEqual([]);
    expect(await s.count()).toBe(0);
    await s.remove(0, 'alice@example.org', 'a');
  });

  it('still parks deliveries in memory, per session, in order, taken once', async () => {
    const s: SessionStore = new NoSessionStore();
    await s.park(0, 'alice@example.org', 'a', 'd1', 1000);
    await s.park(0, 'alice@example.org', 'a', 'd2', 1000);
    await s.park(0, 'alice@example.org', 'b', 'x', 1000);
    expect(await s.unpark(0, 'alice@example.org', 'a')).toEqual(['d1', 'd2']);
    expect(await s.unpark(0, 'alice@example.org', 'a')).toEqual([]);
    expect(await s.unpark(0, 'alice@example.org', 'b')).toEqual(['x']);
  });
});
