/**
 * A log-bucketed latency histogram (about 2% relative resolution from 1 µs
 * to about 10 minutes) that workers send to the coordinator every second as
 * sparse [bucket, count] pairs and the coordinator merges: percentiles over
 * any number of processes without shipping the samples.
 */

/** Buckets per doubling: 2^(1/32) ≈ 2.2% wide. */
const PER_OCTAVE = 32;
/** Smallest value with its own bucket, ms (1 µs). */
const MIN_MS = 0.001;
/** Values up to MIN_MS * 2^30 ms (about 18 minutes). */
const BUCKETS = 30 * PER_OCTAVE + 1;

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const b = Math.ceil(Math.log2(ms / MIN_MS) * PER_OCTAVE);
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

/** Upper bound of a bucket, ms. */
export function bucketValue(b: number): number {
  return MIN_MS * 2 ** (b / PER_OCTAVE);
}

export type SparseHistogram = [bucket: number, count: number][];

export interface HistogramFigures {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  /** Exact maximum (buckets only bound it). */
  max = 0;

  record(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** Non-empty buckets, for sending. */
  sparse(): SparseHistogram {
    const out: SparseHistogram = [];
    for (let b = 0; b < BUCKETS; b++) {
      const c = this.counts[b]!;
      if (c > 0) out.push([b, c]);
    }
    return out;
  }

  merge(sparse: SparseHistogram, max: number): void {
    for (const [b, c] of sparse) {
      if (b >= 0 && b < BUCKETS) {
        this.counts[b]! += c;
        this.count += c;
      }
    }
    if (max > this.max) this.max = max;
  }

  mergeHistogram(h: Histogram): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b]! += h.counts[b]!;
    this.count += h.count;
    if (h.max > this.max) this.max = h.max;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }

  /** Nearest-rank percentile (upper bound of its bucket, at most the exact max); null when empty. */
  percentile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(bucketValue(b), this.max);
    }
    return this.max;
  }

  figures(): HistogramFigures {
    const r = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
    return {
      count: this.count,
      p50: r(this.percentile(0.5)),
      p90: r(this.percentile(0.9)),
      p99: r(this.percentile(0.99)),
      max: this.count === 0 ? null : r(this.max),
    };
  }
}
