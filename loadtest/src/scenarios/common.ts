/** Pieces shared by the scenario modules: open-loop sending and closing. */
import type { LoadClient } from '../client.js';
import type { WorkerContext } from './types.js';

/**
 * Calls `sendOne()` at `rate` per second (open loop: message k is due at
 * start + k / rate) for `seconds`, or until the deadline or `stop()`.
 * Returns how many were handed to sendOne.
 */
export async function openLoopFor(
  ctx: WorkerContext,
  rate: number,
  seconds: number,
  sendOne: () => void,
  stop: () => boolean = () => false,
): Promise<number> {
  if (rate <= 0 || seconds <= 0) return 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let k = 0;
  while (!ctx.expired() && !stop()) {
    const now = performance.now();
    if (now >= end) break;
    const due = Math.floor(((now - t0) / 1000) * rate);
    // At most one second of backlog at once: a stalled loop does not burst without bound.
    const upto = Math.min(due, k + Math.ceil(rate));
    for (; k < upto; k++) sendOne();
    await new Promise((r) => setTimeout(r, 5));
  }
  return k;
}

/** Closes clients politely, at most `graceMs` each, all at once. */
export async function closeAll(clients: (LoadClient | undefined)[], graceMs = 3000): Promise<void> {
  await Promise.all(clients.map((c) => c?.close(graceMs)));
}

/** The ready clients of a list, for round-robin senders. */
export function readyIndexes(clients: (LoadClient | undefined)[]): number[] {
  const out: number[] = [];
  clients.forEach((c, k) => {
    if (c?.ready) out.push(k);
  });
  return out;
}

/** Parses `<ts>` or `... <ts>` (sender's absolute ms) at the end of a body; NaN when absent. */
export function tsOfBody(body: string | undefined): number {
  if (body === undefined) return NaN;
  const sp = body.lastIndexOf(' ');
  return Number(sp < 0 ? body : body.slice(sp + 1));
}
