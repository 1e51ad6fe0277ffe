import { describe, expect, it } from 'vitest';
import {
  CPU_HEADERS,
  LATENCY_HEADERS,
  cpuBreakdown,
  cpuByProcessLines,
  cpuCells,
  cpuFigures,
  latencyCells,
  latencyFigures,
  startLoopDelay,
} from '../src/figures.js';
import { percentiles } from '../src/util.js';

describe('benchmark figures', () => {
  it('rounds latency percentiles and gives null for an empty window', () => {
    const p = percentiles(Float64Array.from([1.23456, 2, 3, 4.98765]));
    expect(latencyFigures(p)).toEqual({ p50: 2, p90: 4.988, p99: 4.988, max: 4.988, mean: 2.806 });
    expect(latencyFigures(percentiles(new Float64Array()))).toEqual({
      p50: null,
      p90: null,
      p99: null,
      max: null,
      mean: null,
    });
  });

  it('counts as other CPU what neither the server nor the generator used, never below 0', () => {
    expect(
      cpuFigures({
        serverCpuPct: 120.04,
        serverCpuByProcess: null,
        clientCpuPct: 40.06,
        machineCpuPct: 175,
      }),
    ).toEqual({
      serverCpuPct: 120,
      serverCpuByProcess: null,
      clientCpuPct: 40.1,
      otherCpuPct: 14.9,
    });
    expect(
      cpuFigures({
        serverCpuPct: 100,
        serverCpuByProcess: null,
        clientCpuPct: 50,
        machineCpuPct: 140,
      }).otherCpuPct,
    ).toBe(0);
  });

  it('reports no server and no other CPU when they are unknown', () => {
    const byProcess = { 'gateway-1': 10, 'registry-1': null };
    expect(
      cpuFigures({
        serverCpuPct: undefined,
        serverCpuByProcess: byProcess,
        clientCpuPct: 30,
        machineCpuPct: undefined,
      }),
    ).toEqual({
      serverCpuPct: null,
      serverCpuByProcess: byProcess,
      clientCpuPct: 30,
      otherCpuPct: null,
    });
    expect(
      cpuFigures({
        serverCpuPct: undefined,
        serverCpuByProcess: null,
        clientCpuPct: 30,
        machineCpuPct: 50,
      }).otherCpuPct,
    ).toBe(20);
  });

  it('writes the per-process breakdown', () => {
    expect(cpuBreakdown({ 'gateway-1': 40.4, 'registry-1': null })).toBe(
      'gateway-1 40%, registry-1 n/a%',
    );
  });

  it('reads the event-loop delay of this process as rounded ms', () => {
    const figures = startLoopDelay()();
    expect(Number.isFinite(figures.clientLoopDelayP99Ms)).toBe(true);
    expect(figures.clientLoopDelayMaxMs).toBeGreaterThanOrEqual(0);
  });
});

describe('benchmark table cells', () => {
  it('has a header for each latency and CPU cell', () => {
    const latency = latencyCells({ p50: 1, p90: 2, p99: 3, max: 4, mean: 2 });
    const cpu = cpuCells({
      serverCpuPct: 1,
      serverCpuByProcess: null,
      clientCpuPct: 2,
      otherCpuPct: 3,
    });
    expect(LATENCY_HEADERS).toHaveLength(latency.length);
    expect(CPU_HEADERS).toHaveLength(cpu.length);
  });

  it('lists the server CPU by process under a table, nothing for a single process', () => {
    const rows = [
      { rate: 10, serverCpuByProcess: { 'gateway-1': 40.4, 'registry-1': 12 } },
      { rate: 20, serverCpuByProcess: null },
    ];
    expect(cpuByProcessLines(rows, (r) => `${r.rate}/s`)).toBe(
      '\n  server CPU by process (% of one core):\n' +
        '    10/s: gateway-1 40%, registry-1 12%\n' +
        '    20/s: n/a',
    );
    expect(cpuByProcessLines([{ serverCpuByProcess: null }], () => 'x')).toBe('');
  });

  it('writes latency in ms with two decimals and CPU in whole percent, n/a when unknown', () => {
    expect(latencyCells({ p50: 1.234, p90: 2, p99: null, max: 10.5, mean: 3 })).toEqual([
      '1.23',
      '2.00',
      'n/a',
      '10.50',
    ]);
    expect(
      cpuCells({
        serverCpuPct: 99.6,
        serverCpuByProcess: null,
        clientCpuPct: 12.4,
        otherCpuPct: null,
      }),
    ).toEqual(['100%', '12%', 'n/a']);
  });
});
