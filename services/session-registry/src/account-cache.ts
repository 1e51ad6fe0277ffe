import { LRUCache } from 'lru-cache';

/**
 * Per-account state a module keeps in memory inside the partition that owns
 * the account (e.g. a blocklist). Only the owning worker reads or changes it,
 * in the partition's order; the registry forgets an account's entries when
 * its partition moves to another worker, so a later owner change never
 * leaves a stale copy behind. Holds at most `max` accounts: beyond that the
 * least recently used entry is dropped and simply loaded again when next
 * needed.
 */
export class AccountCache<T> {
  /** lru-cache keeps no `undefined` (setting it deletes); no module caches one. */
  private readonly entries: LRUCache<string, NonNullable<T>>;

  constructor(max = 100_000) {
    this.entries = new LRUCache({ max });
  }

  get size(): number {
    return this.entries.size;
  }

  get(owner: string): T | undefined {
    return this.entries.get(owner);
  }

  set(owner: string, value: T): void {
    this.entries.set(owner, value as NonNullable<T>);
  }

  delete(owner: string): void {
    this.entries.delete(owner);
  }

  /** Drops every account `pred` selects (its partition was released). */
  forget(pred: (owner: string) => boolean): void {
    for (const owner of [...this.entries.keys()]) if (pred(owner)) this.entries.delete(owner);
  }
}
