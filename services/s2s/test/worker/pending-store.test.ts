import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { hasBinary, startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { MemoryPendingStore } from '../../src/worker/pending-store.js';
import type { PendingEntry, PendingStore } from '../../src/worker/pending-store.js';
import { RedisPendingStore } from '../../src/worker/redis-pending-store.js';

const entry = (id: string, seq: number, domain = 'remote.example'): PendingEntry => ({
  id,
  seq,
  domain,
  env: {
    stage: 'in',
    kind: 'message',
    type: 'chat',
    from: 'alice@example.org/a',
    to: `bob@${domain}`,
    xml: `<message to='bob@${domain}'><body>${id}</body></message>`,
  },
});

function contract(name: string, open: () => PendingStore): void {
  describe(`pending store (${name})`, () => {
    it('keeps entries per partition in arrival order until removed', async () => {
      const s = open();
      await s.add(3, entry('b', 2000));
      await s.add(3, entry('a', 1000));
      await s.add(3, entry('c', 2000, 'other.example'));
      await s.add(4, entry('x', 500));
      expect((await s.load(3)).map((e) => e.id)).toEqual(['a', 'b', 'c']);
      expect(await s.load(3)).toContainEqual(entry('c', 2000, 'other.example'));
      await s.remove(3, 'b');
      expect((await s.load(3)).map((e) => e.id)).toEqual(['a', 'c']);
      expect((await s.load(4)).map((e) => e.id)).toEqual(['x']);
      await s.remove(3, 'a');
      await s.remove(3, 'c');
      await s.remove(3, 'never-there');
      expect(await s.load(3)).toEqual([]);
    });
  });
}

contract('memory', () => new MemoryPendingStore());

describe.skipIf(!hasBinary('redis-server'))('redis', () => {
  let server: RedisServer;
  let redis: Redis;
  let n = 0;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  contract('redis', () => new RedisPendingStore(redis, `t${++n}:pending:`));

  it('drops entries it cannot read (they could be neither sent nor bounced)', async () => {
    const s = new RedisPendingStore(redis, 'bad:pending:');
    await s.add(1, entry('good', 1));
    await redis.hset('bad:pending:1', 'junk', '{not json', 'wrong', JSON.stringify({ id: 'x' }));
    expect((await s.load(1)).map((e) => e.id)).toEqual(['good']);
    expect(await redis.hkeys('bad:pending:1')).toEqual(['good']);
  });
});
