import type { CpuFigures, LoopDelayFigures } from './figures.js';
import { cpuFigures, startLoopDelay } from './figures.js';
import { sleep, startCpuWindow } from './util.js';

/** What a measured window of a benchmark saw. */
export interface MeasuredWindow<C> {
  /** Its length, seconds. */
  seconds: number;
  /** The benchmark's counters at its start and at its end. */
  start: C;
  end: C;
  cpu: CpuFigures;
  loopDelay: LoopDelayFigures;
}

/**
 * Measures `durationS` seconds of a running benchmark: its counters (read
 * by `counters`) at both ends, the CPU of the server processes, of this
 * load generator and of the rest of the machine, and this process's
 * event-loop delay. `bounds` gets the window's start and end
 * (performance.now() ms), e.g. to keep only the latencies of messages sent
 * inside it.
 */
export async function measureWindow<C>(
  durationS: number,
  serverProcesses: readonly { name: string; pid: number }[],
  counters: () => C,
  bounds: { windowStart: number; windowEnd: number },
): Promise<MeasuredWindow<C>> {
  const readLoopDelay = startLoopDelay();
  const readCpu = startCpuWindow(serverProcesses);
  const w0 = performance.now();
  bounds.windowStart = w0;
  const start = counters();
  await sleep(durationS * 1000);
  const w1 = performance.now();
  bounds.windowEnd = w1;
  const end = counters();
  const cpu = cpuFigures(readCpu());
  const loopDelay = readLoopDelay();
  return { seconds: (w1 - w0) / 1000, start, end, cpu, loopDelay };
}
