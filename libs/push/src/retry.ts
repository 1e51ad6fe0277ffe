/**
 * Retries of one push delivery: exponential backoff with full jitter on
 * transient answers (429 and 5xx), honouring the provider's Retry-After.
 */

/** What one attempt at a provider came to. */
export type AttemptOutcome =
  /** Accepted by the provider. */
  | { kind: 'ok'; status: number; id?: string }
  /** Transient (429, 5xx, a network failure): try again, after `retryAfterMs` when the provider said so. */
  | { kind: 'retry'; status: number; reason: string; retryAfterMs?: number }
  /** The device token is dead (unregistered, invalid for this app): forget it. */
  | { kind: 'dead'; status: number; reason: string }
  /** Refused for another reason (bad request, bad credentials): retrying will not help. */
  | { kind: 'failed'; status: number; reason: string };

/** The end of a delivery: the last attempt's outcome, never `retry`, and how many attempts were made. */
export type DeliveryResult = Exclude<AttemptOutcome, { kind: 'retry' }> & { attempts: number };

export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  maxAttempts: number;
  /** Backoff ceiling of the first retry; doubles per retry. */
  baseDelayMs: number;
  /** Longest wait between two attempts; a longer Retry-After gives up instead of waiting. */
  maxDelayMs: number;
}

export interface RetryDeps {
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * The wait before retry number `retry` (1 for the first retry): a random
 * time up to min(maxDelayMs, baseDelayMs * 2^(retry-1)) ("full jitter"),
 * or the provider's Retry-After when it gave one.
 */
export function backoffMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it gives something other than `retry`, at most
 * `policy.maxAttempts` times. A Retry-After longer than `maxDelayMs` ends
 * the delivery at once (as `failed`): the provider asked for more patience
 * than a notification is worth.
 */
export async function withRetries(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<AttemptOutcome>,
  deps: RetryDeps = {},
): Promise<DeliveryResult> {
  const sleep = deps.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome.kind !== 'retry') return { ...outcome, attempts: n };
    if (n >= Math.max(1, policy.maxAttempts))
      return { kind: 'failed', status: outcome.status, reason: outcome.reason, attempts: n };
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > policy.maxDelayMs)
      return {
        kind: 'failed',
        status: outcome.status,
        reason: `${outcome.reason}; Retry-After ${outcome.retryAfterMs} ms exceeds the longest wait`,
        attempts: n,
      };
    await sleep(backoffMs(policy, n, outcome.retryAfterMs, deps.random));
  }
}

/**
 * A Retry-After header value in milliseconds: delay-seconds or an HTTP date
 * (RFC 9110 10.2.3); undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | undefined | null,
  now = Date.now(),
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
