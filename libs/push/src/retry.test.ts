import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from './retry.js';
import { backoffMs, parseRetryAfter, withRetries } from './retry.js';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('withRetries', () => {
  it('retries transient outcomes with full-jitter exponential backoff, then succeeds', async () => {
    const waits: number[] = [];
    const outcomes: AttemptOutcome[] = [
      { kind: 'retry', status: 503, reason: 'UNAVAILABLE' },
      { kind: 'retry', status: 500, reason: 'INTERNAL' },
      { kind: 'ok', status: 200 },
    ];
    const r = await withRetries(policy, async () => outcomes.shift()!, {
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
    });
    expect(r).toEqual({ kind: 'ok', status: 200, attempts: 3 });
    expect(waits).toEqual([50, 100]); // half of 100, half of 200
  });

  it("waits the provider's Retry-After instead of its own backoff", async () => {
    const waits: number[] = [];
    const outcomes: AttemptOutcome[] = [
      { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED', retryAfterMs: 700 },
      { kind: 'ok', status: 200 },
    ];
    await withRetries(policy, async () => outcomes.shift()!, {
      sleep: async (ms) => void waits.push(ms),
    });
    expect(waits).toEqual([700]);
  });

  it('gives up after maxAttempts, and at once on a Retry-After beyond maxDelayMs', async () => {
    let n = 0;
    const r = await withRetries(
      policy,
      async () => (n++, { kind: 'retry', status: 503, reason: 'UNAVAILABLE' }),
      { sleep: async () => undefined },
    );
    expect(r).toMatchObject({ kind: 'failed', status: 503, attempts: 4 });
    expect(n).toBe(4);
    const long = await withRetries(
      policy,
      async () => ({ kind: 'retry', status: 429, reason: 'x', retryAfterMs: 5000 }),
      { sleep: async () => expect.fail('must not wait') },
    );
    expect(long).toMatchObject({ kind: 'failed', attempts: 1 });
  });

  it('never retries dead or failed outcomes', async () => {
    let n = 0;
    const r = await withRetries(
      policy,
      async () => (n++, { kind: 'dead', status: 404, reason: 'UNREGISTERED' }),
    );
    expect(r).toEqual({ kind: 'dead', status: 404, reason: 'UNREGISTERED', attempts: 1 });
    expect(n).toBe(1);
  });

  it('caps the backoff at maxDelayMs', () => {
    expect(backoffMs(policy, 10, undefined, () => 0.999)).toBe(999);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
