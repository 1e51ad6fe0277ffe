import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('gives the burst at once, then the rate; debt is waited off', () => {
    const b = new TokenBucket(100, 10, 0);
    for (let i = 0; i < 10; i++) expect(b.take(1, 0)).toBe(0);
    // One more: 1 token of debt at 100/s = 10 ms.
    expect(b.take(1, 0)).toBe(10);
    expect(b.waitMs(5)).toBe(5);
    expect(b.waitMs(10)).toBe(0);
    expect(b.available(10)).toBe(0);
  });

  it('takes a chunk bigger than the burst into debt', () => {
    const b = new TokenBucket(1000, 100, 0);
    expect(b.take(600, 0)).toBe(500);
    expect(b.waitMs(499)).toBe(1);
    expect(b.waitMs(500)).toBe(0);
  });

  it('never holds more than the burst, however long it rested', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.available(60_000)).toBe(5);
    expect(b.take(6, 60_000)).toBe(100);
  });

  it('does not refill when the clock goes back', () => {
    const b = new TokenBucket(10, 5, 1000);
    b.take(5, 1000);
    expect(b.available(500)).toBe(0);
    expect(b.available(1100)).toBe(1);
  });
});
