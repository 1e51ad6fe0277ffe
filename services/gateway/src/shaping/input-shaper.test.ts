import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { InputShaper, MIN_PAUSE_MS } from './input-shaper.js';
import type { ShapedStream } from './input-shaper.js';

function stream(configure: (c: Config) => void = () => undefined) {
  const config = defaultConfig();
  config.shaper.unauthenticated = {
    bytesPerSecond: 1000,
    burstBytes: 1000,
    stanzasPerSecond: 10,
    burstStanzas: 2,
  };
  config.shaper.authenticated = {
    bytesPerSecond: 10_000,
    burstBytes: 10_000,
    stanzasPerSecond: 100,
    burstStanzas: 5,
  };
  configure(config);
  const paused: string[] = [];
  const s = {
    ctx: {
      config,
      metrics: { shaping: { paused: (st: string, l: string) => paused.push(`${st}/${l}`) } },
    },
    transport: { pause: vi.fn() },
    user: undefined as string | undefined,
    unthrottled: vi.fn(),
  };
  return { s, paused, shaper: InputShaper.create(s as unknown as ShapedStream, Date.now()) };
}

describe('InputShaper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is off when shaper.enabled is false', () => {
    expect(stream((c) => (c.shaper.enabled = false)).shaper).toBeUndefined();
  });

  it('pauses the transport when a bucket is in debt and lets go once it is paid back', () => {
    const { s, paused, shaper } = stream();
    shaper!.bytes(1000, Date.now());
    expect(shaper!.paused).toBe(false);
    // 500 bytes of debt at 1000/s: half a second.
    shaper!.bytes(500, Date.now());
    expect(shaper!.paused).toBe(true);
    expect(s.transport.pause).toHaveBeenCalledTimes(1);
    expect(paused).toEqual(['unauthenticated/bytes']);
    vi.advanceTimersByTime(499);
    expect(s.unthrottled).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(s.unthrottled).toHaveBeenCalledTimes(1);
    expect(shaper!.paused).toBe(false);
  });

  it('waits again when more came in meanwhile, and pauses whatever socket the transport reads now', () => {
    const { s, shaper } = stream();
    shaper!.bytes(1100, Date.now());
    expect(shaper!.paused).toBe(true);
    // A chunk read while paused (e.g. from the TLS socket after STARTTLS): paused again, more debt.
    shaper!.bytes(400, Date.now());
    expect(s.transport.pause).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(100);
    expect(s.unthrottled).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    expect(s.unthrottled).toHaveBeenCalledTimes(1);
  });

  it('counts stanzas; waits at least MIN_PAUSE_MS', () => {
    const { s, paused, shaper } = stream();
    const now = Date.now();
    shaper!.stanza(now);
    shaper!.stanza(now);
    expect(shaper!.paused).toBe(false);
    shaper!.stanza(now);
    expect(paused).toEqual(['unauthenticated/stanzas']);
    // One stanza of debt at 10/s is 100 ms.
    vi.advanceTimersByTime(99);
    expect(s.unthrottled).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(s.unthrottled).toHaveBeenCalledTimes(1);
    expect(MIN_PAUSE_MS).toBe(20);
  });

  it('takes the authenticated limits, with full buckets, once the stream is authenticated', () => {
    const { s, paused, shaper } = stream();
    shaper!.stanza(Date.now());
    shaper!.stanza(Date.now());
    s.user = 'ann@example.org';
    for (let i = 0; i < 5; i++) shaper!.stanza(Date.now());
    expect(shaper!.paused).toBe(false);
    shaper!.stanza(Date.now());
    expect(paused).toEqual(['authenticated/stanzas']);
  });

  it('does not shape exempt accounts once authenticated', () => {
    const { s, shaper } = stream((c) => (c.shaper.exemptJids = ['Bot@Example.org']));
    s.user = 'bot@example.org';
    for (let i = 0; i < 100; i++) shaper!.stanza(Date.now());
    shaper!.bytes(1_000_000, Date.now());
    expect(shaper!.paused).toBe(false);
    expect(s.transport.pause).not.toHaveBeenCalled();
  });

  it('leaves no timer behind when stopped', () => {
    const { s, shaper } = stream();
    shaper!.bytes(5000, Date.now());
    shaper!.stop();
    vi.advanceTimersByTime(10_000);
    expect(s.unthrottled).not.toHaveBeenCalled();
  });
});
