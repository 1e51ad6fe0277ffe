/**
 * The figures every benchmark reports for one measured window, computed
 * one way: latency percentiles, CPU of the server processes, of this load
 * generator and of the rest of the machine, and this process's event-loop
 * delay (is the generator itself the bottleneck?).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CpuWindow, Percentiles } from './util.js';
import { fmt, round } from './util.js';

/** Latency of a window in ms (null: no sample), rounded for the JSON line. */
export interface LatencyFigures {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function latencyFigures(p: Percentiles): LatencyFigures {
  return {
    p50: round(p.p50),
    p90: round(p.p90),
    p99: round(p.p99),
    max: round(p.max),
    mean: round(p.mean),
  };
}

/** CPU over a window, % of one core. */
export interface CpuFigures {
  /** Summed over all server processes (a cluster's too); null when no server is known. */
  serverCpuPct: number | null;
  /** Per server process, when there is more than one (cluster). */
  serverCpuByProcess: Record<string, number | null> | null;
  /** This load generator. */
  clientCpuPct: number;
  /** All other processes on the machine (disturbance); null when the machine's CPU is unknown. */
  otherCpuPct: number | null;
}

/** The figures of a CPU window (startCpuWindow): the rest of the machine is what neither side used. */
export function cpuFigures(w: CpuWindow): CpuFigures {
  return {
    serverCpuPct: round(w.serverCpuPct, 1),
    serverCpuByProcess: w.serverCpuByProcess,
    clientCpuPct: round(w.clientCpuPct, 1)!,
    otherCpuPct:
      w.machineCpuPct === undefined
        ? null
        : round(Math.max(0, w.machineCpuPct - w.clientCpuPct - (w.serverCpuPct ?? 0)), 1),
  };
}

/** `gateway-1 40%, registry-1 25%`: the per-process CPU of a cluster, for the text report. */
export function cpuBreakdown(byProcess: Record<string, number | null>): string {
  return Object.entries(byProcess)
    .map(([name, pct]) => `${name} ${fmt(pct ?? undefined, 0)}%`)
    .join(', ');
}

/** Event-loop delay of this process over a window, ms. */
export interface LoopDelayFigures {
  clientLoopDelayP99Ms: number;
  clientLoopDelayMaxMs: number;
}

/** Starts watching this process's event-loop delay; the returned function stops and reads it. */
export function startLoopDelay(): () => LoopDelayFigures {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  return () => {
    eld.disable();
    return {
      clientLoopDelayP99Ms: round(eld.percentile(99) / 1e6, 1)!,
      clientLoopDelayMaxMs: round(eld.max / 1e6, 1)!,
    };
  };
}

/** The headers of the `latencyCells` columns. */
export const LATENCY_HEADERS = ['p50 ms', 'p90 ms', 'p99 ms', 'max ms'] as const;

/** The latency columns of a text table: p50, p90, p99 and max, ms. */
export function latencyCells(l: LatencyFigures): string[] {
  return [l.p50, l.p90, l.p99, l.max].map((v) => fmt(v ?? undefined, 2));
}

/** The headers of the `cpuCells` columns. */
export const CPU_HEADERS = ['server CPU', 'client CPU', 'other CPU'] as const;

/** The CPU columns of a text table: server, client and other, % of one core (n/a when unknown). */
export function cpuCells(c: CpuFigures): string[] {
  return [c.serverCpuPct, c.clientCpuPct, c.otherCpuPct].map((v) =>
    v === null ? 'n/a' : `${fmt(v, 0)}%`,
  );
}

/**
 * The lines under a text table giving each row's server CPU by process,
 * each row named by `label`; '' when no row has the breakdown (one server
 * process).
 */
export function cpuByProcessLines<R extends Pick<CpuFigures, 'serverCpuByProcess'>>(
  rows: readonly R[],
  label: (row: R) => string,
): string {
  if (rows.every((r) => r.serverCpuByProcess === null)) return '';
  return (
    '\n  server CPU by process (% of one core):\n' +
    rows
      .map(
        (r) =>
          `    ${label(r)}: ${r.serverCpuByProcess ? cpuBreakdown(r.serverCpuByProcess) : 'n/a'}`,
      )
      .join('\n')
  );
}
