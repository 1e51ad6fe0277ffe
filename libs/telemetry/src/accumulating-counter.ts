/**
 * A prom-client Counter whose increments are summed in plain numbers and
 * handed to prom-client when the counter is read (a scrape, `get()`).
 *
 * prom-client hashes the label set, validates it and allocates a result
 * object on every `inc()`, also through a `labels()` child: on the stanza
 * path (several counters per routed message) that was a few percent of the
 * CPU and a good part of the garbage. Here a label set is resolved once to
 * a slot (for a `labels()` child: when the child is made), and an increment
 * is an addition. The exposition is the same: every increment is in the
 * value the next read reports.
 */
import { Counter } from 'prom-client';
import type { CounterConfiguration, LabelValues } from 'prom-client';

interface Slot<T extends string> {
  labels: LabelValues<T> | undefined;
  n: number;
  /** Handed to prom-client at least once: a series made with `inc(0)` is exported at 0. */
  flushed: boolean;
}

/** What a `labels()` child offers (prom-client's `Counter.Internal`). */
interface CounterChild {
  inc(value?: number): void;
}

const UNSET = '\u0001';

export class AccumulatingCounter<T extends string = string> extends Counter<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private readonly names: readonly T[];
  private readonly noLabels: Slot<T> = { labels: undefined, n: 0, flushed: true };
  /** prom-client's own increment, used when the counter is read. */
  private readonly incNow: (labels: LabelValues<T> | number, value?: number) => void;

  constructor(config: CounterConfiguration<T>) {
    const own = config.collect;
    super({ ...config, collect: undefined });
    this.names = config.labelNames ?? [];
    // prom-client's constructor sets `inc` on the instance: keep it, replace it there.
    this.incNow = (this.inc as (labels: LabelValues<T> | number, value?: number) => void).bind(
      this,
    );
    this.inc = ((labels?: LabelValues<T> | number, value?: number): void => {
      if (typeof labels === 'object' && labels !== null) this.add(this.slotFor(labels), value);
      else this.add(this.noLabels, labels);
    }) as Counter<T>['inc'];
    // prom-client calls `collect` first whenever the counter is read (get(), a scrape).
    (this as { collect?: () => unknown }).collect = () => {
      this.flush();
      return own?.call(this);
    };
  }

  override labels(...args: unknown[]): CounterChild {
    const slot = this.slotFor(this.labelsOf(args));
    return { inc: (value?: number) => this.add(slot, value) };
  }

  override reset(): void {
    // Also called by prom-client's constructor, before the fields exist.
    this.slots?.clear();
    if (this.noLabels) this.noLabels.n = 0;
    super.reset();
  }

  override remove(...args: unknown[]): void {
    this.flush();
    const labels = this.labelsOf(args);
    this.slots.delete(this.keyOf(labels));
    (super.remove as (...a: unknown[]) => void)(labels);
  }

  /** Hands the increments summed since the last read to prom-client. */
  private flush(): void {
    if (this.noLabels.n > 0) {
      this.incNow(this.noLabels.n);
      this.noLabels.n = 0;
    }
    for (const slot of this.slots.values()) {
      if (slot.n === 0 && slot.flushed) continue;
      this.incNow(slot.labels!, slot.n);
      slot.n = 0;
      slot.flushed = true;
    }
  }

  private add(slot: Slot<T>, value: number | undefined): void {
    if (value === undefined || value === null) {
      slot.n += 1;
      return;
    }
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (value < 0) throw new Error('It is not possible to decrease a counter');
    slot.n += value;
  }

  private slotFor(labels: LabelValues<T>): Slot<T> {
    const key = this.keyOf(labels);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      for (const name of Object.keys(labels)) {
        if (!this.names.includes(name as T)) {
          throw new Error(
            `Added label "${name}" is not included in initial labelset: ${JSON.stringify(this.names)}`,
          );
        }
      }
      slot = { labels: { ...labels }, n: 0, flushed: false };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private keyOf(labels: LabelValues<T>): string {
    if (this.names.length === 1) {
      const v = labels[this.names[0]!];
      return v === undefined ? UNSET : String(v);
    }
    let key = '';
    for (const name of this.names) {
      const v = labels[name];
      key += (v === undefined ? UNSET : String(v)) + '\u0000';
    }
    return key;
  }

  /** `labels({ a: 'x' })` or positional values in label-name order. */
  private labelsOf(args: unknown[]): LabelValues<T> {
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null)
      return args[0] as LabelValues<T>;
    const labels: Partial<Record<T, string | number>> = {};
    args.forEach((v, i) => {
      const name = this.names[i];
      if (name !== undefined && v !== undefined) labels[name] = v as string | number;
    });
    return labels as LabelValues<T>;
  }
}
