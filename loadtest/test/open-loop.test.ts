import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openLoop } from '../src/open-loop.js';

describe('openLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends on schedule, whatever happens to the messages', async () => {
    let sent = 0;
    const loop = openLoop(100, () => sent++);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toBe(100);
    loop.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toBe(100);
  });

  it('catches up after a stall and reports how late it got', async () => {
    let sent = 0;
    const loop = openLoop(1000, () => {
      sent++;
      // The 10th send blocks the event loop for 50 ms (no tick can run meanwhile).
      if (sent === 10) vi.advanceTimersByTime(50);
    });
    await vi.advanceTimersByTimeAsync(100);
    loop.stop();
    // 150 ms have passed in all: every message due by then was sent.
    expect(sent).toBeGreaterThanOrEqual(149);
    expect(sent).toBeLessThanOrEqual(150);
    expect(loop.maxLagMs()).toBeGreaterThan(45);
    expect(loop.maxLagMs()).toBeLessThanOrEqual(50);
  });

  it('sends nothing at rate 0', async () => {
    let sent = 0;
    const loop = openLoop(0, () => sent++);
    await vi.advanceTimersByTimeAsync(1000);
    loop.stop();
    expect(sent).toBe(0);
    expect(loop.maxLagMs()).toBe(0);
  });
});
