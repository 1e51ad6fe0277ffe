/**
 * Gathers the calls made during one event-loop turn and runs them as one
 * statement (at most `max` per statement): under load, a message's two
 * archive appends and those of every other message of the turn share a
 * round trip and a transaction. When a batch fails, its calls are run one
 * by one, so one bad row fails only its own caller.
 */
export class TickBatch<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly runBatch: (items: T[]) => Promise<R[]>,
    private readonly runOne: (item: T) => Promise<R>,
    private readonly max = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.max) void this.run(all.slice(i, i + this.max));
  }

  private async run(
    batch: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[],
  ): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      await this.runOne(only.item).then(only.resolve, only.reject);
      return;
    }
    let results: R[];
    try {
      results = await this.runBatch(batch.map((b) => b.item));
    } catch {
      await Promise.all(batch.map((b) => this.runOne(b.item).then(b.resolve, b.reject)));
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]!));
  }
}
