import { Samples } from './util.js';

/** The counters a step reads at its start, to report what happened during it. */
export interface CounterSnapshot {
  sent: number;
  errors: number;
  outOfOrder: number;
  backpressured: number;
}

/**
 * What every messaging benchmark session (chat, MUC) counts while it runs,
 * and the latencies of the messages sent inside a measured window.
 */
export class SessionCounters {
  /** Messages sent. */
  sent = 0;
  /** Error stanzas received instead of messages. */
  errors = 0;
  /** Messages received after a later one of the same sender. */
  outOfOrder = 0;
  /** Sends that found the socket buffer full (the server not reading fast enough). */
  backpressured = 0;
  /** Connections that closed while the benchmark ran. */
  dropped = 0;
  /** Latencies are recorded for messages sent in [windowStart, windowEnd) (see measureWindow). */
  windowStart = Infinity;
  windowEnd = Infinity;
  readonly samples = new Samples();

  /** Counts one send; `ok` false: the socket buffer was full. */
  countSend(ok: boolean): void {
    this.sent++;
    if (!ok) this.backpressured++;
  }

  /**
   * Records the latency of a message sent at `sentAt` (performance.now(),
   * ms) and received at `now`, when it was sent inside the window; returns
   * whether it was.
   */
  recordLatency(sentAt: number, now: number): boolean {
    if (sentAt < this.windowStart || sentAt >= this.windowEnd) return false;
    this.samples.push(now - sentAt);
    return true;
  }

  /** Before a step: no latencies kept, no window open. */
  resetWindow(): void {
    this.samples.clear();
    this.windowStart = Infinity;
    this.windowEnd = Infinity;
  }

  snapshot(): CounterSnapshot {
    return {
      sent: this.sent,
      errors: this.errors,
      outOfOrder: this.outOfOrder,
      backpressured: this.backpressured,
    };
  }
}
