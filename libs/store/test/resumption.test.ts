import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { hasBinary, startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { runResumptionStoreContractSuite } from './contract-suite.js';
import { MemoryResumptionStore, RedisResumptionStore } from '../src/index.js';

runResumptionStoreContractSuite('memory', async () => new MemoryResumptionStore());

describe.skipIf(!hasBinary('redis-server'))('redis', () => {
  let redis: RedisServer;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  runResumptionStoreContractSuite(
    'redis',
    async () => new RedisResumptionStore({ url: redis.url, prefix: `t${++n}:sm:` }),
  );
});

describe.skipIf(!hasBinary('redis-server'))('redis resumption store specifics', () => {
  let server: RedisServer;
  let store: RedisResumptionStore;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    store = new RedisResumptionStore({ redis, prefix: 'x:sm:', retainMs: 5_000 });
  });
  afterAll(async () => {
    await store.close();
    redis.disconnect();
    await server.stop();
  });

  it('puts a TTL of the time left plus the retention on both keys', async () => {
    const now = Date.now();
    await store.create({ id: 'ttl1', jid: 'a@b/c', gw: 'g', conn: 'c', expiresAt: now + 10_000 });
    await store.appendOutbound('ttl1', 1, [[1, '<message/>']]);
    for (const key of ['x:sm:{ttl1}', 'x:sm:{ttl1}:q']) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(13_000);
      expect(ttl).toBeLessThanOrEqual(15_000);
    }
    await store.detach('ttl1', 1, now, now + 1_000);
    expect(await redis.pttl('x:sm:{ttl1}:q')).toBeLessThanOrEqual(6_000);
  });

  it('reads queue members of the previous release (no delivery id) and writes ones it can read', async () => {
    const now = Date.now();
    await store.create({ id: 'did1', jid: 'a@b/c', gw: 'g', conn: 'c', expiresAt: now + 60_000 });
    const legacy = "<message xml:lang='en' to='a@b/c'><body>1: x</body></message>";
    // As the previous release's script wrote it: `<seq> <xml>`, the stanza may hold colons.
    await redis.zadd('x:sm:{did1}:q', '1', `1 ${legacy}`);
    await redis.hset('x:sm:{did1}', 'outSeq', '1');
    expect(await store.appendOutbound('did1', 1, [[2, '<message>2</message>', 'd-2_x']])).toBe(
      true,
    );
    expect((await store.get('did1'))?.outbound).toStrictEqual([
      [1, legacy],
      [2, '<message>2</message>', 'd-2_x'],
    ]);
    // The previous release's reader takes the stanza after the first space: still the stanza.
    const members = await redis.zrange('x:sm:{did1}:q', '0', '-1');
    expect(members.map((m) => m.slice(m.indexOf(' ') + 1))).toEqual([
      legacy,
      '<message>2</message>',
    ]);
    expect(await redis.zscore('x:sm:{did1}:q', '2:d-2_x <message>2</message>')).toBe('2');
  });

  it('repairs stale expiry index entries', async () => {
    const now = Date.now();
    await store.create({ id: 'idx1', jid: 'a@b/c', gw: 'g', conn: 'c', expiresAt: now + 60_000 });
    // A stale hint (as left by writes that finished out of order).
    await redis.zadd('x:sm:expiry', now - 1, 'idx1');
    expect(await store.expired(now, 10)).toContain('idx1');
    expect(await store.reap('idx1', now)).toBeUndefined();
    expect(await store.expired(now, 10)).not.toContain('idx1');
    // An entry whose record vanished (TTL) is dropped from the index.
    await redis.zadd('x:sm:expiry', now - 1, 'gone1');
    expect(await store.reap('gone1', now)).toBeUndefined();
    expect(await redis.zscore('x:sm:expiry', 'gone1')).toBeNull();
  });
});
