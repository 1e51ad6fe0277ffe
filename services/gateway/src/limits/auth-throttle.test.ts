import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.js';

describe('AuthThrottle', () => {
  it('doubles the delay per consecutive failure from one address, up to the cap', () => {
    const t = new AuthThrottle({ baseMs: 500, maxMs: 3000 });
    expect([1, 2, 3, 4, 5].map(() => t.fail('10.0.0.1', 0))).toEqual([500, 1000, 2000, 3000, 3000]);
  });

  it('keeps addresses apart and resets one on success', () => {
    const t = new AuthThrottle({ baseMs: 100, maxMs: 10_000 });
    t.fail('a', 0);
    t.fail('a', 0);
    expect(t.fail('b', 0)).toBe(100);
    t.succeed('a');
    expect(t.fail('a', 0)).toBe(100);
  });

  it('forgets an address after its ttl and on sweep', () => {
    const t = new AuthThrottle({ baseMs: 100, maxMs: 10_000, ttlMs: 1000 });
    t.fail('a', 0);
    t.fail('a', 0);
    expect(t.failures('a', 500)).toBe(2);
    expect(t.failures('a', 1500)).toBe(0);
    expect(t.fail('a', 1500)).toBe(100);
    t.sweep(10_000);
    expect(t.size).toBe(0);
  });

  it('bounds the number of remembered addresses', () => {
    const t = new AuthThrottle({ baseMs: 1, maxMs: 1, maxEntries: 3 });
    for (const ip of ['a', 'b', 'c', 'd']) t.fail(ip, 0);
    expect(t.size).toBe(3);
    expect(t.failures('a', 0)).toBe(0);
    expect(t.failures('d', 0)).toBe(1);
  });

  it('does not delay when the base delay is 0', () => {
    const t = new AuthThrottle({ baseMs: 0, maxMs: 0 });
    expect(t.fail('a', 0)).toBe(0);
  });
});

describe('AuthThrottle with a cluster-wide counter', () => {
  it('waits as long as the higher of the local and the cluster-wide count asks', async () => {
    const counts = new Map<string, number>([['10.0.0.9', 3]]);
    const shared = {
      record: async (ip: string) => {
        const n = (counts.get(ip) ?? 0) + 1;
        counts.set(ip, n);
        return n;
      },
      reset: async (ip: string) => void counts.delete(ip),
    };
    const t = new AuthThrottle({ baseMs: 100, maxMs: 10_000, shared });
    // Three failures elsewhere in the cluster: this fourth one waits 100 * 2^3.
    await expect(t.fail('10.0.0.9', 0)).resolves.toBe(800);
    t.succeed('10.0.0.9');
    await new Promise((r) => setImmediate(r));
    expect(counts.has('10.0.0.9')).toBe(false);
    const failing = new AuthThrottle({
      baseMs: 100,
      maxMs: 10_000,
      shared: { record: () => Promise.reject(new Error('down')), reset: async () => {} },
    });
    await expect(failing.fail('10.0.0.9', 0)).resolves.toBe(100);
  });
});
