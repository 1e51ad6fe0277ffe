import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drain } from '../src/drain.js';

describe('drain', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns at once when nothing is in flight', async () => {
    await expect(
      drain(
        () => 5,
        () => 5,
        1,
      ),
    ).resolves.toBe(0);
  });

  it('waits while arrivals keep coming, until all are in', async () => {
    let arrived = 0;
    const done = drain(
      () => arrived,
      () => 10,
      1,
    );
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(500); // within the idle limit each time
      arrived++;
    }
    await vi.advanceTimersByTimeAsync(20);
    expect(await done).toBeCloseTo(5.02, 1);
  });

  it('gives up after the idle limit without progress', async () => {
    let arrived = 0;
    const done = drain(
      () => arrived,
      () => 10,
      2,
    );
    await vi.advanceTimersByTimeAsync(1000);
    arrived = 3;
    await vi.advanceTimersByTimeAsync(5000);
    const waited = await done;
    expect(waited).toBeGreaterThan(3);
    expect(waited).toBeLessThan(3.1);
  });

  it('gives up after the overall limit however slowly things still arrive', async () => {
    let arrived = 0;
    const done = drain(
      () => arrived,
      () => 1_000_000,
      1,
      3,
    );
    for (let i = 0; i < 40; i++) {
      arrived++;
      await vi.advanceTimersByTimeAsync(100);
    }
    const waited = await done;
    expect(waited).toBeGreaterThan(3);
    expect(waited).toBeLessThan(3.1);
  });
});
