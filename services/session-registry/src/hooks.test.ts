import { describe, expect, it } from 'vitest';
import { serviceUnavailable } from '@parley/stanza';
import type { FilterVerdict } from './hooks.js';
import { runFilters, runHooks } from './hooks.js';

type F = (s: string[]) => FilterVerdict | Promise<FilterVerdict>;

describe('runFilters', () => {
  it('passes with no filters, synchronously', () => {
    expect(runFilters<string[]>([], [])).toBeUndefined();
  });

  it('stops at the first decision and stays synchronous while the filters are', () => {
    const seen: string[] = [];
    const err = serviceUnavailable();
    const filters: F[] = [
      (s) => void s.push('a'),
      (s) => (s.push('b'), err),
      (s) => (s.push('c'), 'drop'),
    ];
    expect(runFilters(filters, seen)).toBe(err);
    expect(seen).toEqual(['a', 'b']);
  });

  it('continues in order after a filter that answers with a promise', async () => {
    const seen: string[] = [];
    const filters: F[] = [
      async (s) => void s.push('a'),
      (s) => void s.push('b'),
      async (s) => (s.push('c'), 'drop' as const),
      (s) => (s.push('d'), undefined),
    ];
    const v = runFilters(filters, seen);
    expect(v).toBeInstanceOf(Promise);
    expect(await v).toBe('drop');
    expect(seen).toEqual(['a', 'b', 'c']);
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
    await runHooks(
      [
        async (n: number) => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push(n);
        },
        (n: number) => void seen.push(n + 1),
      ],
      10,
    );
    expect(seen).toEqual([1, 2, 10, 11]);
  });
});
