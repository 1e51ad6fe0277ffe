/**
 * Per-account state a module keeps in memory inside the partition that owns
 * the account (e.g. a blocklist). Only the owning worker reads or changes it,
 * in the partition's order; the registry forgets an account's entries when
 * its partition moves to another worker, so a later owner change never
 * leaves a stale copy behind. Holds at most `max` accounts: beyond that the
 * oldest entry is dropped and simply loaded again when next needed.
 */
export class AccountCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly max = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(owner: string): T | undefined {
    return this.entries.get(owner);
  }

  set(owner: string, value: T): void {
    if (this.entries.size >= this.max && !this.entries.has(owner)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(owner, value);
  }

  delete(owner: string): void {
    this.entries.delete(owner);
  }

  /** Drops every account `pred` selects (its partition was released). */
  forget(pred: (owner: string) => boolean): void {
    for (const owner of this.entries.keys()) if (pred(owner)) this.entries.delete(owner);
  }
}
