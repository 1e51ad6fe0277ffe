/**
 * Waiting for a test client's state to change: `until(check)` re-checks
 * whenever the client calls `changed()` (an element, a close, an error
 * arrived), and at the latest every 50 ms; it fails after the timeout with
 * what the client received so far.
 */
/** How long a client waits for what it expects, unless told otherwise. */
export const TIMEOUT_MS = 5_000;

export class Waiter {
  private wake: Array<() => void> = [];

  /** `received()` describes what arrived so far, for the timeout message. */
  constructor(private readonly received: () => string) {}

  /** Wakes every pending `until` to re-check. */
  changed(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }

  /** Resolves with the first value `check` returns (undefined: not yet). */
  async until<T>(check: () => T | undefined, what: string, timeoutMs = TIMEOUT_MS): Promise<T> {
    // performance.now(): a test that fakes Date still gets its timeout.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined) return v;
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; received so far: ${this.received()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
