import { describe, expect, it } from 'vitest';
import { BusError } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { isValidSubject, subjectMatches } from './subject.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('subjects', () => {
  it('matches NATS wildcards', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
  });
  it('validates subjects', () => {
    expect(isValidSubject('a.b', false)).toBe(true);
    expect(isValidSubject('a..b', false)).toBe(false);
    expect(isValidSubject('a.*', false)).toBe(false);
    expect(isValidSubject('a.*', true)).toBe(true);
    expect(isValidSubject('a.>.b', true)).toBe(false);
    expect(isValidSubject('a b', false)).toBe(false);
  });
});

describe('MemoryBus', () => {
  it('delivers in publish order, asynchronously', async () => {
    const bus = new MemoryBus();
    const got: number[] = [];
    bus.subscribe('x.y', (m) => void got.push(m.data as number));
    for (let i = 0; i < 100; i++) bus.publish('x.y', i);
    expect(got).toEqual([]);
    await tick();
    expect(got).toEqual([...Array(100).keys()]);
  });

  it('fans out to plain subscribers and to one member per queue group', async () => {
    const bus = new MemoryBus();
    const plain: unknown[] = [];
    const q1: unknown[] = [];
    const q2: unknown[] = [];
    bus.subscribe('s.*', (m) => void plain.push(m.data));
    bus.subscribe('s.*', (m) => void q1.push(m.data), { queue: 'w' });
    bus.subscribe('s.*', (m) => void q2.push(m.data), { queue: 'w' });
    for (let i = 0; i < 10; i++) bus.publish(`s.${i}`, i);
    await tick();
    expect(plain).toHaveLength(10);
    expect(q1.length + q2.length).toBe(10);
    expect(q1.length).toBeGreaterThan(0);
    expect(q2.length).toBeGreaterThan(0);
  });

  it('indexes every kind of pattern: literal, prefix.*, prefix.>, and wildcards in the middle', async () => {
    const bus = new MemoryBus();
    const got: Record<string, string[]> = { lit: [], star: [], tail: [], mid: [], all: [] };
    bus.subscribe('a.b.c', (m) => void got['lit']!.push(m.subject));
    const star = bus.subscribe('a.b.*', (m) => void got['star']!.push(m.subject));
    bus.subscribe('a.>', (m) => void got['tail']!.push(m.subject));
    bus.subscribe('*.b.c', (m) => void got['mid']!.push(m.subject));
    bus.subscribe('>', (m) => void got['all']!.push(m.subject));
    for (const subj of ['a.b.c', 'a.b.d', 'a.x', 'a.b.c.d', 'z.b.c', 'q']) bus.publish(subj, 0);
    await tick();
    expect(got).toEqual({
      lit: ['a.b.c'],
      star: ['a.b.c', 'a.b.d'],
      tail: ['a.b.c', 'a.b.d', 'a.x', 'a.b.c.d'],
      mid: ['a.b.c', 'z.b.c'],
      all: ['a.b.c', 'a.b.d', 'a.x', 'a.b.c.d', 'z.b.c', 'q'],
    });
    star.unsubscribe();
    bus.publish('a.b.e', 0);
    await tick();
    expect(got['star']).toHaveLength(2);
    expect(got['tail']).toContain('a.b.e');
  });

  it('stops delivering after unsubscribe, even for queued messages', async () => {
    const bus = new MemoryBus();
    const got: unknown[] = [];
    const sub = bus.subscribe('a', (m) => void got.push(m.data));
    bus.publish('a', 1);
    sub.unsubscribe();
    bus.publish('a', 2);
    await tick();
    expect(got).toEqual([]);
  });

  it('does request/reply, with timeout and no-responders errors', async () => {
    const bus = new MemoryBus();
    bus.subscribe('echo', (m) => m.respond?.({ echoed: m.data }));
    await expect(bus.request('echo', 'hi')).resolves.toEqual({ echoed: 'hi' });
    await expect(bus.request('nobody', 1)).rejects.toMatchObject({ code: 'no-responders' });
    bus.subscribe('silent', () => {});
    const err = await bus.request('silent', 1, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).code).toBe('timeout');
  });

  it('isolates a failing handler', async () => {
    const bus = new MemoryBus();
    const errors: unknown[] = [];
    bus.onError = (e) => errors.push(e);
    const got: unknown[] = [];
    bus.subscribe('t', () => {
      throw new Error('boom');
    });
    bus.subscribe('t', async () => {
      throw new Error('async boom');
    });
    bus.subscribe('t', (m) => void got.push(m.data));
    bus.publish('t', 1);
    await tick();
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(2);
  });

  it('rejects bad subjects and use after close', async () => {
    const bus = new MemoryBus();
    expect(() => bus.publish('a.*', 1)).toThrow(BusError);
    await bus.close();
    expect(() => bus.publish('a', 1)).toThrow(/closed/);
  });
});
