/** Counts open connections per remote IP address and refuses those over the limit. */
export class IpLimiter {
  private readonly counts = new Map<string, number>();

  /** @param max connections allowed per address; 0 = unlimited */
  constructor(private readonly max: number) {}

  /** Takes a slot for `ip`; false (and nothing taken) when the address is at its limit. */
  acquire(ip: string): boolean {
    const n = this.counts.get(ip) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.counts.set(ip, n + 1);
    return true;
  }

  release(ip: string): void {
    const n = this.counts.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.counts.delete(ip);
    else this.counts.set(ip, n - 1);
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }
}
