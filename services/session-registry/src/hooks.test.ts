import { describe, expect, it } from 'vitest';
import { serviceUnavailable } from '@parley/stanza';
import type { Envelope } from '@parley/routing';
import type { FilterVerdict } from './hooks.js';
import { runFilters, runHooks } from './hooks.js';

interface S {
  env: Envelope;
  seen: string[];
}
type F = (s: S) => FilterVerdict | Promise<FilterVerdict>;

const env = (xml: string): Envelope => ({
  stage: 'in',
  kind: 'message',
  type: 'chat',
  from: 'a@example.org/r',
  to: 'b@example.org',
  xml,
});
const stanza = (): S => ({ env: env('<message/>'), seen: [] });

describe('runFilters', () => {
  it('passes with no filters, synchronously', () => {
    expect(runFilters<S>([], stanza())).toBeUndefined();
  });

  it('stops at the first decision and stays synchronous while the filters are', () => {
    const s = stanza();
    const err = serviceUnavailable();
    const filters: F[] = [
      (x) => void x.seen.push('a'),
      (x) => (x.seen.push('b'), err),
      (x) => (x.seen.push('c'), 'drop'),
    ];
    expect(runFilters(filters, s)).toBe(err);
    expect(s.seen).toEqual(['a', 'b']);
  });

  it('continues in order after a filter that answers with a promise', async () => {
    const s = stanza();
    const filters: F[] = [
      async (x) => void x.seen.push('a'),
      (x) => void x.seen.push('b'),
      async (x) => (x.seen.push('c'), 'drop' as const),
      (x) => (x.seen.push('d'), undefined),
    ];
    const v = runFilters(filters, s);
    expect(v).toBeInstanceOf(Promise);
    expect(await v).toBe('drop');
    expect(s.seen).toEqual(['a', 'b', 'c']);
  });

  it('hands a replaced copy on to the later filters and returns the last copy', async () => {
    const s = stanza();
    const filters: F[] = [
      (x) => ({ replace: env(x.env.xml + '1') }),
      async (x) => ({ replace: env(x.env.xml + '2') }),
      (x) => (x.seen.push(x.env.xml), undefined),
    ];
    const v = await runFilters(filters, s);
    expect(v).toEqual({ replace: env('<message/>12') });
    expect(s.seen).toEqual(['<message/>12']);
    // Synchronous filters only: still a replace, without a promise.
    expect(runFilters([(x: S) => ({ replace: env(x.env.xml + 'x') })], stanza())).toEqual({
      replace: env('<message/>x'),
    });
  });

  it('stops at a drop after a replace', () => {
    const filters: F[] = [() => ({ replace: env('<message id="1"/>') }), () => 'drop'];
    expect(runFilters(filters, stanza())).toBe('drop');
  });
});

describe('runHooks', () => {
  it('runs every hook in order, awaiting those that return promises', async () => {
    const seen: number[] = [];
    const sync = runHooks(
      [(n: number) => void seen.push(n), (n: number) => void seen.push(n + 1)],
      1,
    );
    expect(sync).toBeUndefined();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = runHooks(
      [
        async (n: number) => {
          await gate;
          seen.push(n);
        },
        (n: number) => void seen.push(n + 1),
      ],
      10,
    );
    // The second hook waits for the first one's promise.
    expect(seen).toEqual([1, 2]);
    release();
    await running;
    expect(seen).toEqual([1, 2, 10, 11]);
  });
});
