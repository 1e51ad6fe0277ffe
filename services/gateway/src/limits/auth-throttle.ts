/**
 * Delays answers to failed authentications per remote IP address: the first
 * failure waits `baseMs`, each further consecutive failure from the same
 * address doubles the wait, up to `maxMs`. A success resets the address.
 * Entries expire `ttlMs` after their last failure; the map is bounded so a
 * flood from many addresses cannot grow it without limit.
 */
import type { FailureCounter } from '@parley/cluster';
import { LRUCache } from 'lru-cache';

export interface AuthThrottleOptions {
  baseMs: number;
  maxMs: number;
  /** Forget an address this long after its last failure. Default 15 minutes. */
  ttlMs?: number;
  /** Most addresses tracked at once; the least recently failed are dropped first. Default 100 000. */
  maxEntries?: number;
  /**
   * Cluster-wide counter (Redis): failures from an address count on every
   * gateway. The local count is used when the counter is unreachable.
   */
  shared?: FailureCounter;
}

interface Entry {
  failures: number;
  expiresAt: number;
}

export class AuthThrottle {
  /**
   * Least recently failed first: a failure moves its address to the newest
   * end (`set`), a look-up does not (`peek`). Expiry is kept here, against
   * the caller's clock, rather than as the cache's TTL.
   */
  private readonly entries: LRUCache<string, Entry>;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly ttlMs: number;

  private readonly shared: FailureCounter | undefined;

  constructor(opts: AuthThrottleOptions) {
    this.shared = opts.shared;
    this.baseMs = Math.max(0, opts.baseMs);
    this.maxMs = Math.max(this.baseMs, opts.maxMs);
    this.ttlMs = opts.ttlMs ?? 15 * 60_000;
    this.entries = new LRUCache({ max: opts.maxEntries ?? 100_000 });
  }

  /**
   * Records a failure from `ip`; returns how long to wait before answering
   * it (a promise when a cluster-wide counter is consulted).
   */
  fail(ip: string, now: number): number | Promise<number> {
    const local = this.failLocal(ip, now);
    if (!this.shared) return this.delayFor(local);
    return this.shared.record(ip).then(
      (n) => this.delayFor(Math.max(n, local)),
      () => this.delayFor(local),
    );
  }

  private delayFor(failures: number): number {
    if (this.baseMs === 0) return 0;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 30));
  }

  private failLocal(ip: string, now: number): number {
    let entry = this.entries.peek(ip);
    if (entry && entry.expiresAt <= now) entry = undefined;
    const failures = (entry?.failures ?? 0) + 1;
    this.entries.set(ip, { failures, expiresAt: now + this.ttlMs });
    return failures;
  }

  succeed(ip: string): void {
    this.entries.delete(ip);
    this.shared?.reset(ip).catch(() => undefined);
  }

  /** Consecutive failures currently remembered for `ip`. */
  failures(ip: string, now: number): number {
    const entry = this.entries.peek(ip);
    return entry && entry.expiresAt > now ? entry.failures : 0;
  }

  /** Drops expired entries; called from the gateway's periodic sweep. */
  sweep(now: number): void {
    const expired: string[] = [];
    this.entries.forEach((entry, ip) => {
      if (entry.expiresAt <= now) expired.push(ip);
    });
    for (const ip of expired) this.entries.delete(ip);
  }

  get size(): number {
    return this.entries.size;
  }
}
