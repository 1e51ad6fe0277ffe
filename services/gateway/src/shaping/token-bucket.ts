/**
 * A token bucket: `rate` tokens a second flow in, up to `burst`. Taking
 * may leave it in debt (a TCP chunk or a stanza is already read when it is
 * counted); the caller then waits until the debt is paid back. This is the
 * shape of ejabberd's shapers (rate and burst_size) and Prosody's
 * mod_limits: nothing is dropped, input is only delayed.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    /** Tokens per second (> 0). */
    readonly rate: number,
    /** The bucket's size: what may be taken at once from a full bucket. */
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes `n` tokens (possibly into debt); returns the ms until the debt is paid back (0: none). */
  take(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.debtMs();
  }

  /** Ms until the bucket is out of debt (0: it is not in debt). */
  waitMs(now: number): number {
    this.refill(now);
    return this.debtMs();
  }

  /** Tokens available now (negative: debt). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private debtMs(): number {
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }

  private refill(now: number): void {
    if (now <= this.at) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
  }
}
