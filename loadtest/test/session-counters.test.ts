import { describe, expect, it } from 'vitest';
import { SessionCounters } from '../src/session-counters.js';

describe('SessionCounters', () => {
  it('keeps the latencies of messages sent inside the window only, [start, end)', () => {
    const c = new SessionCounters();
    expect(c.recordLatency(5, 9)).toBe(false); // no window open yet
    c.windowStart = 10;
    c.windowEnd = 20;
    expect(c.recordLatency(9.9, 30)).toBe(false);
    expect(c.recordLatency(10, 12.5)).toBe(true);
    expect(c.recordLatency(19.9, 21)).toBe(true);
    expect(c.recordLatency(20, 25)).toBe(false);
    expect([...c.samples.sorted()].map((v) => Math.round(v * 10) / 10)).toEqual([1.1, 2.5]);
  });

  it('counts sends and the ones that met a full socket buffer', () => {
    const c = new SessionCounters();
    c.countSend(true);
    c.countSend(false);
    c.countSend(true);
    expect(c.snapshot()).toEqual({ sent: 3, errors: 0, outOfOrder: 0, backpressured: 1 });
  });

  it('resetWindow drops the samples and closes the window', () => {
    const c = new SessionCounters();
    c.windowStart = 0;
    c.windowEnd = 10;
    c.recordLatency(1, 2);
    c.resetWindow();
    expect(c.samples.length).toBe(0);
    expect(c.recordLatency(1, 2)).toBe(false);
  });
});
