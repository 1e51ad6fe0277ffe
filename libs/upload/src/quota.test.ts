import { describe, expect, it } from 'vitest';
import { PendingSlots, checkQuota } from './quota.js';

const DAY = 86_400_000;

describe('quota', () => {
  it('counts stored files and open reservations; 0 is unlimited', () => {
    const files = [{ slot: 'a', size: 600, createdAt: 0 }];
    const pending = [{ size: 300, expires: 10 }];
    expect(checkQuota({ quota: 1000, size: 100, files, pending, expiryMs: DAY })).toEqual({
      ok: true,
      used: 900,
    });
    expect(checkQuota({ quota: 0, size: 1e12, files, pending, expiryMs: DAY }).ok).toBe(true);
  });

  it('over quota: retry when enough expires, none when it never can', () => {
    const files = [
      { slot: 'a', size: 400, createdAt: 5 * DAY },
      { slot: 'b', size: 400, createdAt: 1 * DAY },
    ];
    // b (oldest) expiring frees 400: 400 + 500 <= 1000.
    expect(checkQuota({ quota: 1000, size: 500, files, pending: [], expiryMs: 30 * DAY })).toEqual({
      ok: false,
      used: 800,
      retryAt: 31 * DAY,
    });
    expect(checkQuota({ quota: 1000, size: 500, files, pending: [], expiryMs: 0 })).toEqual({
      ok: false,
      used: 800,
    });
    expect(checkQuota({ quota: 1000, size: 1001, files: [], pending: [], expiryMs: DAY })).toEqual({
      ok: false,
      used: 0,
    });
  });

  it('reservations close when their file is stored or their PUT URL expires', () => {
    const p = new PendingSlots();
    p.add('u', { slot: 's1', size: 10, expires: 100 });
    p.add('u', { slot: 's2', size: 20, expires: 200 });
    expect(p.open('u', [], 50).map((r) => r.slot)).toEqual(['s1', 's2']);
    expect(p.open('u', [{ slot: 's2', size: 20, createdAt: 60 }], 60).map((r) => r.slot)).toEqual([
      's1',
    ]);
    expect(p.open('u', [], 150)).toEqual([]);
    expect(p.size).toBe(0);
    p.add('v', { slot: 's3', size: 1, expires: 10 });
    p.sweep(11);
    expect(p.size).toBe(0);
  });
});
