import { compareCodePoints } from '../shared/jid-order.js';

/** A set of strings kept in code-point order, for ordered paging without re-sorting. */
export class SortedKeys {
  private keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) this.keys.splice(i, 0, key);
  }

  /** Adds many keys at once (one sort instead of one splice per key). */
  addMany(keys: readonly string[]): void {
    if (keys.length === 0) return;
    const merged = this.keys.concat(keys).sort(compareCodePoints);
    this.keys = merged.filter((k, i) => i === 0 || merged[i - 1] !== k);
  }

  delete(key: string): boolean {
    const i = this.lowerBound(key);
    if (this.keys[i] !== key) return false;
    this.keys.splice(i, 1);
    return true;
  }

  /** Up to `count` keys strictly after `after` (from the start when absent). */
  slice(after: string | undefined, count: number): string[] {
    const start = after === undefined ? 0 : this.upperBound(after);
    return this.keys.slice(start, start + count);
  }

  /** Index of the first key >= `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCodePoints(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first key > `key`. */
  private upperBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCodePoints(this.keys[mid]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
