import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { measureWindow } from '../src/window.js';

describe('measureWindow', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the counters at both ends, marks the bounds and measures the CPU', async () => {
    let sent = 0;
    const bounds = { windowStart: Infinity, windowEnd: Infinity };
    const t0 = performance.now();
    const measuring = measureWindow(2, [], () => ({ sent }), bounds);
    expect(bounds.windowStart).toBe(t0);
    sent = 7;
    await vi.advanceTimersByTimeAsync(2000);
    const w = await measuring;
    expect(w.seconds).toBe(2);
    expect(w.start).toEqual({ sent: 0 });
    expect(w.end).toEqual({ sent: 7 });
    expect(bounds.windowEnd).toBe(t0 + 2000);
    expect(w.cpu.serverCpuPct).toBeNull(); // no server process given
    expect(w.cpu.serverCpuByProcess).toBeNull();
    expect(w.cpu.clientCpuPct).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(w.loopDelay.clientLoopDelayMaxMs)).toBe(true);
  });
});
