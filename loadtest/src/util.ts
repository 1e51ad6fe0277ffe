/** Small helpers shared by the benchmarks: /proc readings, percentiles, pools, tables. */
import { readdirSync, readFileSync } from 'node:fs';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
export const CLOCK_TICKS = 100;

/** Resident set size of a process in KiB (VmRSS), or undefined when unreadable. */
export function readRssKiB(pid: number): number | undefined {
  return readStatusField(pid, 'VmRSS');
}

/** Peak resident set size of a process in KiB (VmHWM). */
export function readPeakRssKiB(pid: number): number | undefined {
  return readStatusField(pid, 'VmHWM');
}

function readStatusField(pid: number, field: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The fields of /proc/<pid>/stat after the command name (fields[0] is field 3, state). */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds of a process and all its descendants: utime + stime of each
 * live one, plus cutime + cstime (children already reaped). A server that
 * forks workers (PostgreSQL's backends) is measured whole; for a process
 * without children this is its own utime + stime.
 */
export function readCpuSeconds(pid: number): number | undefined {
  const own = statFields(pid);
  if (!own) return undefined;
  const ticks = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let total = ticks(own);
  if (!Number.isFinite(total)) return undefined;
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return total / CLOCK_TICKS;
  }
  const stats = new Map<number, string[]>();
  for (const e of entries) {
    const f = statFields(Number(e));
    if (!f) continue;
    stats.set(Number(e), f);
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(e));
    else children.set(ppid, [Number(e)]);
  }
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const child = queue.pop()!;
    const f = stats.get(child);
    if (f && Number.isFinite(ticks(f))) total += ticks(f);
    queue.push(...(children.get(child) ?? []));
  }
  return total / CLOCK_TICKS;
}

/**
 * CPU usage of a process, or the sum over several (a cluster), over an
 * interval: call once to start, the returned function gives % of one core
 * (undefined without pids or when one of them cannot be read).
 */
export function cpuMeter(pids: number | readonly number[] | undefined): () => number | undefined {
  const list = pids === undefined ? [] : typeof pids === 'number' ? [pids] : pids;
  const t0 = performance.now();
  const c0 = list.map(readCpuSeconds);
  return () => {
    if (list.length === 0) return undefined;
    let sum = 0;
    for (let i = 0; i < list.length; i++) {
      const before = c0[i];
      const after = readCpuSeconds(list[i]!);
      if (before === undefined || after === undefined) return undefined;
      sum += after - before;
    }
    const wall = (performance.now() - t0) / 1000;
    return wall > 0 ? (sum / wall) * 100 : undefined;
  };
}

/** Sum of a per-process reading over several pids; undefined without pids or when one is unreadable. */
export function sumOver(
  pids: readonly number[],
  read: (pid: number) => number | undefined,
): number | undefined {
  if (pids.length === 0) return undefined;
  let sum = 0;
  for (const pid of pids) {
    const v = read(pid);
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

/** Parses a comma-separated list of non-negative integers (`--ports 5222,5232`). */
export function intList(v: string, name: string): number[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`--${name} must be a comma-separated list of integers, got ${v}`);
      return n;
    });
}

/** Busy and total jiffies of all CPUs, from the first line of /proc/stat. */
function readMachineJiffies(): { busy: number; total: number } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * Whole-machine CPU over an interval, in % of one core (so 200% is a fully
 * busy 2-core machine). Shows how much other processes disturbed a run.
 */
export function machineCpuMeter(): () => number | undefined {
  const t0 = performance.now();
  const j0 = readMachineJiffies();
  return () => {
    const j1 = readMachineJiffies();
    if (j0 === undefined || j1 === undefined) return undefined;
    const wall = (performance.now() - t0) / 1000;
    return wall > 0 ? ((j1.busy - j0.busy) / CLOCK_TICKS / wall) * 100 : undefined;
  };
}

/** This process's CPU usage over an interval, % of one core. */
export function selfCpuMeter(): () => number {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / 1000;
    return wall > 0 ? ((d.user + d.system) / 1e6 / wall) * 100 : 0;
  };
}

/** A growable list of numbers (latencies in ms) without per-sample objects. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  clear(): void {
    this.length = 0;
  }

  /** Sorted copy of the samples. */
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of sorted values; NaN when empty. */
export function percentiles(sorted: Float64Array): Percentiles {
  const n = sorted.length;
  const at = (q: number): number =>
    n === 0 ? NaN : sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: n === 0 ? NaN : sorted[n - 1]!,
    mean: n === 0 ? NaN : sum / n,
  };
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight.
 * Failures are collected, not thrown.
 */
export async function runPool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
  onResult?: (i: number, r: T) => void,
): Promise<{ ok: number; errors: { index: number; error: unknown }[] }> {
  let next = 0;
  let ok = 0;
  const errors: { index: number; error: unknown }[] = [];
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      try {
        const r = await task(i);
        ok++;
        onResult?.(i, r);
      } catch (error) {
        errors.push({ index: i, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { ok, errors };
}

/** Left-aligned label column, right-aligned values: `label ........ value`. */
export function formatPairs(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** A plain table with right-aligned columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || Number.isNaN(n)) return 'n/a';
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function fmtInt(n: number | undefined): string {
  return fmt(n, 0);
}

/** Replaces every `%d` in a pattern with the index. */
export function fromPattern(pattern: string, i: number): string {
  return pattern.replaceAll('%d', String(i));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Rounds for JSON output. */
export function round(n: number | undefined, digits = 3): number | null {
  if (n === undefined || !Number.isFinite(n)) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export interface CpuWindow {
  /** Server CPU (sum over its processes), % of one core. */
  serverCpuPct: number | undefined;
  /** Per server process when there are several, % of one core. */
  serverCpuByProcess: Record<string, number | null> | null;
  clientCpuPct: number;
  /** Everything else on the machine, % of one core. */
  machineCpuPct: number | undefined;
}

/**
 * Starts the CPU meters of one measurement window (the server processes,
 * each of them when there are several, this load generator, the rest of the
 * machine); the returned function reads them all at the window's end.
 */
export function startCpuWindow(
  serverProcesses: readonly { name: string; pid: number }[],
): () => CpuWindow {
  const server = cpuMeter(serverProcesses.map((p) => p.pid));
  const perProcess =
    serverProcesses.length > 1
      ? serverProcesses.map((p) => ({ name: p.name, meter: cpuMeter(p.pid) }))
      : [];
  const client = selfCpuMeter();
  const machine = machineCpuMeter();
  return () => ({
    serverCpuPct: server(),
    serverCpuByProcess:
      perProcess.length > 0
        ? Object.fromEntries(perProcess.map((p) => [p.name, round(p.meter(), 1)]))
        : null,
    clientCpuPct: client(),
    machineCpuPct: machine(),
  });
}
