import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Exclusive, expiring leases on partitions: at most one holder at a time. */
export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly prefix = 'parley:lease',
  ) {}

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  async acquire(name: string, holder: string): Promise<boolean> {
    return (await this.redis.set(this.key(name), holder, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Extends a lease still held by `holder`; false when it was lost. */
  async renew(name: string, holder: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key(name), holder, String(this.ttlMs))) === 1;
  }

  /**
   * Extends many leases held by `holder` in one round trip; returns the
   * names whose lease was lost.
   */
  async renewMany(names: readonly string[], holder: string): Promise<string[]> {
    if (names.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const n of names) pipe.eval(RENEW, 1, this.key(n), holder, String(this.ttlMs));
    const results = (await pipe.exec()) ?? [];
    return names.filter((_, i) => {
      const r = results[i];
      return r === undefined || r[0] !== null || r[1] !== 1;
    });
  }

  async release(name: string, holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(name), holder);
  }

  /** Deletes every one of `names` still held by `holder` (a member found dead), in one round trip. */
  async releaseAll(names: readonly string[], holder: string): Promise<void> {
    if (names.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const n of names) pipe.eval(RELEASE, 1, this.key(n), holder);
    await pipe.exec();
  }

  async holder(name: string): Promise<string | null> {
    return this.redis.get(this.key(name));
  }
}
