import { fnv1a32Utf8 } from '@parley/hash';
import { StoreError } from '../errors.js';

/**
 * Small pure helpers of the Cassandra backend: number conversion, bounded
 * concurrency, per-key serialization, shard and time-bucket math. Nothing
 * here talks to a server, so all of it is unit tested without one.
 */

/**
 * A CQL bigint/counter/int/double value as a JS number. The driver returns
 * bigint and counter columns as `Long` (or as `bigint` when the client was
 * built with `encoding.useBigIntAsLong`).
 */
export function toNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function'
  ) {
    return (value as { toNumber(): number }).toNumber();
  }
  throw new StoreError('corrupt', `${what}: expected a number, got ${typeof value}`);
}

/** Like toNumber, but null/undefined (an unset column) becomes undefined. */
export function optionalNumber(value: unknown, what: string): number | undefined {
  return value === null || value === undefined ? undefined : toNumber(value, what);
}

export function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw new StoreError('corrupt', `${what}: expected a string, got ${typeof value}`);
  }
  return value;
}

export function parseJson<T>(text: unknown, what: string): T {
  try {
    return JSON.parse(requireString(text, what)) as T;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('corrupt', `${what}: invalid JSON`, { cause: err });
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep
 * the input order. The first failure rejects (calls already started finish).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Serializes async work per key inside this process. Lightweight
 * transactions on one partition contend with each other; letting only one
 * per key run at a time in a process turns a burst of N concurrent writers
 * into N sequential Paxos rounds instead of O(N^2) failed ones. Correctness
 * across processes still comes from the LWT conditions.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Listing tables (accounts_by_shard, rooms_by_domain, ...) spread one logical
 * sorted list over this many partitions. Part of the on-disk format: changing
 * it needs a re-index, so it is a constant, not a setting.
 */
export const LIST_SHARDS = 16;

/** The shard of a key: FNV-1a 32 over its UTF-8 bytes (part of the on-disk format), mod `shards`. */
export function shardOf(key: string, shards: number = LIST_SHARDS): number {
  return fnv1a32Utf8(key) % shards;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The time bucket holding `ts` for buckets of `size` ms, as a CQL int.
 * Values beyond the int range are clamped, which keeps the mapping monotonic
 * (ts1 <= ts2 implies bucket(ts1) <= bucket(ts2)); the stores only rely on that.
 */
export function bucketOf(ts: number, size: number): number {
  const b = Math.floor(ts / size);
  if (Number.isNaN(b)) throw new StoreError('invalid-argument', `not a time: ${ts}`);
  return Math.min(INT32_MAX, Math.max(INT32_MIN, b));
}

/** First ms of a bucket (inclusive); -Infinity for the clamped lowest bucket. */
export function bucketStart(bucket: number, size: number): number {
  return bucket <= INT32_MIN ? -Infinity : bucket * size;
}

/** First ms after a bucket (exclusive end); Infinity for the clamped highest bucket. */
export function bucketEnd(bucket: number, size: number): number {
  return bucket >= INT32_MAX ? Infinity : (bucket + 1) * size;
}

export const DAY_MS = 86_400_000;
/** Archive partitions hold 30 days of one archive (see README "Cassandra"). */
export const ARCHIVE_BUCKET_MS = 30 * DAY_MS;
/** The offline expiry index groups owners by the day a message was queued. */
export const OFFLINE_BUCKET_MS = DAY_MS;

/** Short random pause before retrying a lost compare-and-set, so retries spread out. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.min(100, 2 ** Math.min(attempt, 6)) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many times a lost compare-and-set is retried before giving up with `backend`. */
export const CAS_ATTEMPTS = 64;

export function contention(operation: string): StoreError {
  return new StoreError(
    'backend',
    `${operation} failed: too much contention (gave up after ${CAS_ATTEMPTS} lightweight transaction attempts)`,
  );
}
