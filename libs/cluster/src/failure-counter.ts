import type { Redis } from 'ioredis';

/**
 * Counts events per key across the cluster within a sliding expiry (each
 * new event extends it), e.g. failed logins per client address, so a limit
 * holds whichever gateway a client connects to.
 */
export interface FailureCounter {
  /** Records one event; resolves with the count including it. */
  record(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export class RedisFailureCounter implements FailureCounter {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly prefix = 'parley:authfail',
  ) {}

  async record(key: string): Promise<number> {
    const k = `${this.prefix}:${key}`;
    const res = await this.redis.multi().incr(k).pexpire(k, this.ttlMs).exec();
    return Number(res?.[0]?.[1] ?? 1);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}:${key}`);
  }
}
