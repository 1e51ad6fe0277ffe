/**
 * Inbound stanza rate per remote domain (`s2s.stanzasPerSecond`): a token
 * bucket holding one second's worth. Below zero the stream is throttled
 * (reading paused until the debt is paid); a debt above another second's
 * worth means the peer keeps sending faster than allowed: policy-violation
 * (RFC 6120 4.9.3.14).
 */
export type RateVerdict = { kind: 'ok' } | { kind: 'wait'; ms: number } | { kind: 'exceeded' };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  take(): RateVerdict {
    if (this.perSecond <= 0) return { kind: 'ok' };
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    this.tokens -= 1;
    if (this.tokens >= 0) return { kind: 'ok' };
    if (this.tokens < -this.perSecond) return { kind: 'exceeded' };
    return { kind: 'wait', ms: Math.ceil((-this.tokens / this.perSecond) * 1000) };
  }
}
