import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('counters (increments summed until read)', () => {
  it('reports every increment, through inc(labels), labels() children and positional labels', async () => {
    const m = createMetrics({ collectDefault: false });
    const c = m.counter('things_total', 'Things.', ['kind', 'result']);
    c.inc({ kind: 'a', result: 'ok' });
    c.inc({ kind: 'a', result: 'ok' }, 2);
    const child = c.labels({ kind: 'b', result: 'ok' });
    child.inc();
    child.inc(4);
    c.labels('a', 'failed').inc();
    expect(await m.value('things_total', { kind: 'a', result: 'ok' })).toBe(3);
    expect(await m.value('things_total', { kind: 'b', result: 'ok' })).toBe(5);
    expect(await m.value('things_total', { kind: 'a', result: 'failed' })).toBe(1);
    // Increments after a read are added to what was reported.
    child.inc();
    expect(await m.value('things_total', { kind: 'b', result: 'ok' })).toBe(6);
    const text = await m.text();
    expect(text).toContain('parley_things_total{kind="b",result="ok"} 6');
    expect(text).toContain('parley_things_total{kind="a",result="failed"} 1');
  });

  it('exports a series made with inc(0) at 0', async () => {
    const m = createMetrics({ collectDefault: false });
    const c = m.counter('zero_total', 'Zero.', ['result']);
    c.labels({ result: 'success' }).inc(0);
    expect(await m.text()).toContain('parley_zero_total{result="success"} 0');
  });

  it('counts without labels', async () => {
    const m = createMetrics({ collectDefault: false });
    const c = m.counter('plain_total', 'Plain.');
    c.inc();
    c.inc(2.5);
    expect(await m.value('plain_total')).toBe(3.5);
    expect(await m.text()).toContain('parley_plain_total 3.5');
  });

  it('refuses what prom-client refuses: unknown labels, negative and non-finite values', () => {
    const m = createMetrics({ collectDefault: false });
    const c = m.counter('strict_total', 'Strict.', ['kind']);
    expect(() => c.inc({ other: 'x' } as never)).toThrow(/not included in initial labelset/);
    expect(() => c.inc({ kind: 'a' }, -1)).toThrow(/decrease/);
    expect(() => c.inc({ kind: 'a' }, Number.NaN)).toThrow(TypeError);
  });

  it('reset() and remove() forget what was summed', async () => {
    const m = createMetrics({ collectDefault: false });
    const c = m.counter('gone_total', 'Gone.', ['kind']);
    c.inc({ kind: 'a' }, 5);
    c.inc({ kind: 'b' }, 1);
    c.remove({ kind: 'a' });
    expect(await m.value('gone_total', { kind: 'a' })).toBe(0);
    expect(await m.value('gone_total', { kind: 'b' })).toBe(1);
    c.inc({ kind: 'b' }, 1);
    c.reset();
    expect(await m.value('gone_total', { kind: 'b' })).toBe(0);
    c.inc({ kind: 'b' });
    expect(await m.value('gone_total', { kind: 'b' })).toBe(1);
  });
});
