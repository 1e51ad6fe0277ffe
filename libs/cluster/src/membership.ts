import type { Redis } from 'ioredis';

/**
 * Cluster membership by heartbeat: each member keeps its id in a sorted set
 * with its expiry time as score. A member whose heartbeat stops drops out
 * after `ttlMs`.
 */
export class Membership {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    role: string,
    private readonly ttlMs: number,
    prefix = 'parley',
  ) {
    this.key = `${prefix}:members:${role}`;
  }

  async heartbeat(id: string, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.key, now + this.ttlMs, id);
  }

  async leave(id: string): Promise<void> {
    await this.redis.zrem(this.key, id);
  }

  /** Ids with a live heartbeat, sorted; expired ones are pruned. */
  async live(now = Date.now()): Promise<string[]> {
    const [, ids] = (await this.redis
      .multi()
      .zremrangebyscore(this.key, '-inf', now)
      .zrangebyscore(this.key, now, '+inf')
      .exec()
      .then((r) => (r ?? []).map(([, v]) => v))) as [unknown, string[]];
    return [...(ids ?? [])].sort();
  }

  async isLive(id: string, now = Date.now()): Promise<boolean> {
    const score = await this.redis.zscore(this.key, id);
    return score !== null && Number(score) > now;
  }
}
