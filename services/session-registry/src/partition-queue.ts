/**
 * Runs jobs for one partition strictly one after another, in arrival order,
 * so everything addressed to an account is handled in the order it came in.
 * Different partitions run concurrently.
 */
export class PartitionQueue {
  private jobs: Array<() => Promise<void>> = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  push(job: () => Promise<void>): void {
    this.jobs.push(job);
    if (!this.running) void this.run();
  }

  get length(): number {
    return this.jobs.length;
  }

  /** Resolves when every job queued so far has finished. */
  idle(): Promise<void> {
    if (!this.running && this.jobs.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.jobs.length > 0) {
      const job = this.jobs.shift()!;
      try {
        await job();
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
