import { describe, expect, it } from 'vitest';
import { TelemetryError, createMetrics } from './index.js';

describe('createMetrics', () => {
  it('prefixes names and exposes counters, gauges and histograms as text', async () => {
    const metrics = createMetrics({ collectDefault: false, defaultLabels: { node: 'n1' } });
    metrics.counter('stanzas_total', 'Stanzas routed', ['kind']).inc({ kind: 'message' }, 3);
    metrics.gauge('sessions', 'Open sessions').set(7);
    metrics.histogram('route_seconds', 'Routing latency', [], [0.01, 0.1]).observe(0.05);
    const text = await metrics.text();
    expect(text).toContain('# HELP parley_stanzas_total Stanzas routed');
    expect(text).toContain('# TYPE parley_stanzas_total counter');
    expect(text).toContain('parley_stanzas_total{kind="message",node="n1"} 3');
    expect(text).toContain('parley_sessions{node="n1"} 7');
    expect(text).toContain('parley_route_seconds_bucket{le="0.01",node="n1"} 0');
    expect(text).toContain('parley_route_seconds_bucket{le="0.1",node="n1"} 1');
    expect(text).toContain('parley_route_seconds_count{node="n1"} 1');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('returns the existing metric when registered twice', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const a = metrics.counter('logins_total', 'Logins', ['result']);
    const b = metrics.counter('parley_logins_total', 'Logins', ['result']);
    expect(b).toBe(a);
    a.inc({ result: 'ok' });
    b.inc({ result: 'ok' });
    expect(await metrics.text()).toContain('parley_logins_total{result="ok"} 2');
    expect(metrics.gauge('g', 'G')).toBe(metrics.gauge('g', 'G'));
    expect(metrics.histogram('h', 'H', ['x', 'y'])).toBe(metrics.histogram('h', 'H', ['y', 'x']));
  });

  it('rejects the same name with another kind or other labels', () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.counter('things', 'Things', ['a']);
    expect(() => metrics.gauge('things', 'Things', ['a'])).toThrow(TelemetryError);
    expect(() => metrics.gauge('things', 'Things', ['a'])).toThrow(
      /registered as a counter, not a gauge/,
    );
    let err: unknown;
    try {
      metrics.counter('things', 'Things', ['b']);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'TelemetryError', code: 'metric-conflict' });
  });

  it('collects default process metrics with the prefix', async () => {
    const metrics = createMetrics({ prefix: 'test_' });
    const text = await metrics.text();
    expect(text).toContain('test_nodejs_heap_size_used_bytes');
    expect(text).toContain('test_nodejs_eventloop_lag_seconds');
    expect(() => metrics.gauge('nodejs_heap_size_used_bytes', 'clash')).toThrow(
      /already registered by the default collectors/,
    );
  });

  it('reads the value of a counter or gauge series by its labels, 0 when there is none', async () => {
    const m = createMetrics({ collectDefault: false });
    expect(await m.value('rejected_total', { reason: 'unknown' })).toBe(0);
    const c = m.counter('rejected_total', 'x', ['family', 'reason']);
    c.inc({ family: 'muc', reason: 'unknown' }, 2);
    c.inc({ family: 'registry', reason: 'unknown' });
    expect(await m.value('rejected_total', { family: 'muc', reason: 'unknown' })).toBe(2);
    expect(await m.value('parley_rejected_total', { family: 'registry' })).toBe(1);
    expect(await m.value('rejected_total', { family: 'gateway' })).toBe(0);
    m.gauge('sessions', 'x').set(7);
    expect(await m.value('sessions')).toBe(7);
  });

  it('keeps registries independent', async () => {
    const one = createMetrics({ collectDefault: false });
    const two = createMetrics({ collectDefault: false });
    one.counter('only_here', 'x').inc();
    expect(await two.text()).not.toContain('only_here');
  });
});
