/**
 * Waiting for a target to go quiet between scenarios: a server that has just
 * closed ten thousand sessions may still be tearing them down (ejabberd took
 * seconds after the idle scenario), and a chat step started then measures
 * that, not chat.
 */
import { cpuMeter, sleep } from '../util.js';

export interface QuietOptions {
  /** Quiet: the target's processes together below this, % of one core (default 10). */
  maxCpuPct?: number;
  /** For this many consecutive seconds (default 2). */
  quietS?: number;
  /** Give up after this many seconds (default 60). */
  timeoutS?: number;
  /** One reading over `intervalMs` (default 1000): % of one core, undefined when unreadable. */
  measure?: (intervalMs: number) => Promise<number | undefined>;
}

/** Seconds waited, and whether the target went quiet in time. */
export interface QuietResult {
  seconds: number;
  quiet: boolean;
  lastCpuPct: number | undefined;
}

export function pidMeter(
  pids: readonly number[],
): (intervalMs: number) => Promise<number | undefined> {
  return async (intervalMs) => {
    const meter = cpuMeter(pids);
    await sleep(intervalMs);
    return meter();
  };
}

export async function waitQuiet(
  pids: readonly number[],
  opts: QuietOptions = {},
): Promise<QuietResult> {
  const maxCpu = opts.maxCpuPct ?? 10;
  const need = opts.quietS ?? 2;
  const timeout = opts.timeoutS ?? 60;
  const measure = opts.measure ?? pidMeter(pids);
  let quietFor = 0;
  let waited = 0;
  let last: number | undefined;
  while (waited < timeout) {
    last = await measure(1000);
    waited++;
    // Unreadable (a process gone): nothing to wait for.
    if (last === undefined) return { seconds: waited, quiet: true, lastCpuPct: last };
    quietFor = last < maxCpu ? quietFor + 1 : 0;
    if (quietFor >= need) return { seconds: waited, quiet: true, lastCpuPct: last };
  }
  return { seconds: waited, quiet: false, lastCpuPct: last };
}
