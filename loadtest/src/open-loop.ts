/** A running open-loop sender. */
export interface OpenLoop {
  stop(): void;
  /** How late the most behind message was when its turn came, ms (the generator falling behind). */
  maxLagMs(): number;
}

/**
 * Sends at `rate` messages per second on a fixed schedule, whatever the
 * server answers (open loop: message k is due at start + k / rate): every
 * millisecond it calls `send` once for each message that has come due.
 */
export function openLoop(rate: number, send: () => void): OpenLoop {
  const t0 = performance.now();
  let scheduled = 0;
  let maxLag = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = performance.now();
    const due = rate > 0 ? Math.floor(((now - t0) * rate) / 1000) : 0;
    let n = due - scheduled;
    // How late the oldest message still to send is.
    if (n > 0) {
      const lag = now - t0 - ((scheduled + 1) * 1000) / rate;
      if (lag > maxLag) maxLag = lag;
    }
    while (n-- > 0) {
      scheduled++;
      send();
    }
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return { stop: () => clearTimeout(timer), maxLagMs: () => maxLag };
}
