/**
 * The side-by-side table: one row per figure, one column per target, and
 * after each target but the first (ejabberd, the baseline) the ratio of its
 * figure to the baseline's. Latency cells are "p50 / p99" and their ratio is
 * that of p99. Pure formatting, tested without servers.
 */
import type { ScenarioName, SideBySidePlan } from './args.js';
import type { LadderResult, LadderStep } from './ladder.js';
import type { LoginFigures, TargetResult } from './results.js';

export interface Cell {
  text: string;
  /** The number the ratio is taken of; null: no ratio. */
  value: number | null;
}

export interface Row {
  label: string;
  better: 'lower' | 'higher';
  scenario: ScenarioName;
  cell(r: TargetResult): Cell;
}

/**
 * A number for a table: whole and thousands-separated from 100 on, at most
 * one decimal from 10, else two significant digits; no trailing zeros.
 */
export function fmtNum(n: number): string {
  const a = Math.abs(n);
  if (a >= 100) return Math.round(n).toLocaleString('en-US');
  if (a >= 10) return String(Number(n.toFixed(1)));
  if (a === 0) return '0';
  return String(Number(n.toPrecision(2)));
}

/** value / base as "0.23x", "2.0x", "16x"; empty when either is missing or the base is 0. */
export function ratio(value: number | null, base: number | null): string {
  if (value === null || base === null || base === 0 || !Number.isFinite(value)) return '';
  const r = value / base;
  return `${r >= 10 ? r.toFixed(0) : r.toPrecision(2)}x`;
}

const NONE: Cell = { text: '', value: null };

function failedScenario(r: TargetResult, scenario: ScenarioName): Cell | undefined {
  const e = r.errors.find((x) => x.scenario === scenario);
  return e ? { text: 'failed (see notes)', value: null } : undefined;
}

function loginCell(
  r: TargetResult,
  scenario: 'idle' | 'tls',
  pass: 'first' | 'again',
  pick: (f: LoginFigures) => number | null,
): Cell {
  const f = r[scenario]?.[pass];
  if (!f) return failedScenario(r, scenario) ?? NONE;
  const v = pick(f);
  if (v === null) return { text: 'n/a', value: null };
  return { text: fmtNum(v) + (f.failed > 0 ? ` (${f.failed} failed)` : ''), value: v };
}

/** The ladder step at `rate`: its last attempt (a retry replaces a stalled first one). */
function ladderStep(l: LadderResult, rate: number): LadderStep | undefined {
  return l.steps.findLast((s) => s.phase === 'ladder' && s.rate === rate);
}

function latencyCell(r: TargetResult, scenario: 'chat' | 'mam', rate: number): Cell {
  const l = r[scenario];
  if (!l) return failedScenario(r, scenario) ?? NONE;
  const s = ladderStep(l, rate);
  if (!s) return notRun(l);
  return stepCell(s);
}

/** A rate the ladder did not reach: where it stopped (its last step, saturated even when run again). */
function notRun(l: LadderResult): Cell {
  const last = l.steps.findLast((x) => x.phase === 'ladder');
  return {
    text: last?.saturated ? `not run (saturated at ${fmtNum(last.rate)})` : 'not run',
    value: null,
  };
}

function stepCell(s: LadderStep): Cell {
  const lat = `${s.p50Ms === null ? 'n/a' : fmtNum(s.p50Ms)} / ${s.p99Ms === null ? 'n/a' : fmtNum(s.p99Ms)}`;
  if (s.saturated) {
    const lost = s.lost > 0 ? `, ${fmtNum(s.lost)} lost` : '';
    return {
      text: `saturated: ${fmtNum(s.deliveredRate)}/s delivered, ${lat}${lost}`,
      value: null,
    };
  }
  return { text: lat + (s.errors > 0 ? ` (${s.errors} errors)` : ''), value: s.p99Ms };
}

function maxCell(r: TargetResult, scenario: 'chat' | 'mam'): Cell {
  const l = r[scenario];
  if (!l) return failedScenario(r, scenario) ?? NONE;
  if (l.maxSustained === null) {
    const lowest = l.steps.length > 0 ? Math.min(...l.steps.map((s) => s.rate)) : null;
    return { text: lowest === null ? 'n/a' : `< ${fmtNum(lowest)}`, value: null };
  }
  return {
    text: `${l.firstFailed === null ? '≥ ' : ''}${fmtNum(l.maxSustained)}`,
    value: l.maxSustained,
  };
}

/** Server CPU per delivered message at `rate`, µs (all processes of the target). */
function cpuPerMessageCell(r: TargetResult, scenario: 'chat' | 'mam', rate: number): Cell {
  const l = r[scenario];
  if (!l) return failedScenario(r, scenario) ?? NONE;
  const s = ladderStep(l, rate);
  if (!s || s.serverCpuPct === null || s.deliveredRate <= 0 || s.saturated)
    return { text: s?.saturated ? 'saturated' : 'n/a', value: null };
  const us = ((s.serverCpuPct / 100) * 1e6) / s.deliveredRate;
  return { text: fmtNum(us), value: us };
}

function mucCell(r: TargetResult, rate: number): Cell {
  const m = r.muc;
  if (!m) return failedScenario(r, 'muc') ?? NONE;
  const s = ladderStep(m.ladder, rate);
  if (!s) return notRun(m.ladder);
  return stepCell(s);
}

type TablePlan = Pick<
  SideBySidePlan,
  | 'scenarios'
  | 'sessions'
  | 'tlsSessions'
  | 'rates'
  | 'mamRates'
  | 'maxP99Ms'
  | 'mucRates'
  | 'mucOccupants'
  | 'mucSenders'
>;

/** The rows of the table, for the scenarios of the plan. */
export function tableRows(plan: TablePlan): Row[] {
  const n = (x: number) => fmtNum(x);
  // Server CPU per message at a rate most targets carry: 2,000 (chat) and 1,000 (archived) when listed.
  const cpuRate = (rates: number[], preferred: number) =>
    rates.includes(preferred) ? preferred : (rates[1] ?? rates[0]!);
  const rows: Row[] = [
    {
      label: `KiB per idle session (${n(plan.sessions)} held, PLAIN)`,
      better: 'lower',
      scenario: 'idle',
      cell: (r) => loginCell(r, 'idle', 'first', (f) => f.kibPerSession),
    },
    {
      label: `KiB per idle TLS session (${n(plan.tlsSessions)} held, STARTTLS + SCRAM-SHA-1)`,
      better: 'lower',
      scenario: 'tls',
      cell: (r) => loginCell(r, 'tls', 'first', (f) => f.kibPerSession),
    },
    {
      label: 'PLAIN logins/s, first login of each user',
      better: 'higher',
      scenario: 'idle',
      cell: (r) => loginCell(r, 'idle', 'first', (f) => f.loginsPerS),
    },
    {
      label: 'server CPU per PLAIN login, first, ms',
      better: 'lower',
      scenario: 'idle',
      cell: (r) => loginCell(r, 'idle', 'first', (f) => f.serverCpuMsPerLogin),
    },
    {
      label: 'PLAIN logins/s, the same users again',
      better: 'higher',
      scenario: 'idle',
      cell: (r) => loginCell(r, 'idle', 'again', (f) => f.loginsPerS),
    },
    {
      label: 'server CPU per PLAIN login, again, ms',
      better: 'lower',
      scenario: 'idle',
      cell: (r) => loginCell(r, 'idle', 'again', (f) => f.serverCpuMsPerLogin),
    },
    {
      label: 'STARTTLS + SCRAM-SHA-1 logins/s, first (generator derives the keys)',
      better: 'higher',
      scenario: 'tls',
      cell: (r) => loginCell(r, 'tls', 'first', (f) => f.loginsPerS),
    },
    {
      label: 'server CPU per STARTTLS + SCRAM login, first, ms',
      better: 'lower',
      scenario: 'tls',
      cell: (r) => loginCell(r, 'tls', 'first', (f) => f.serverCpuMsPerLogin),
    },
    {
      label: 'STARTTLS + SCRAM-SHA-1 logins/s, again (generator keys cached)',
      better: 'higher',
      scenario: 'tls',
      cell: (r) => loginCell(r, 'tls', 'again', (f) => f.loginsPerS),
    },
    {
      label: 'server CPU per STARTTLS + SCRAM login, again, ms',
      better: 'lower',
      scenario: 'tls',
      cell: (r) => loginCell(r, 'tls', 'again', (f) => f.serverCpuMsPerLogin),
    },
  ];
  for (const [scenario, suffix, rates, atRate] of [
    ['chat', '', plan.rates, cpuRate(plan.rates, 2000)],
    ['mam', ', every message archived', plan.mamRates, cpuRate(plan.mamRates, 1000)],
  ] as const) {
    rows.push({
      label: `highest sustained msgs/s${suffix} (p99 ≤ ${n(plan.maxP99Ms)} ms, no loss)`,
      better: 'higher',
      scenario,
      cell: (r) => maxCell(r, scenario),
    });
    for (const rate of rates) {
      rows.push({
        label: `p50 / p99 ms at ${n(rate)} msgs/s${suffix}`,
        better: 'lower',
        scenario,
        cell: (r) => latencyCell(r, scenario, rate),
      });
    }
    rows.push({
      label: `server CPU per message at ${n(atRate)} msgs/s${suffix}, µs`,
      better: 'lower',
      scenario,
      cell: (r) => cpuPerMessageCell(r, scenario, atRate),
    });
  }
  rows.push({
    label: `MUC joins/s (${n(plan.mucOccupants)} occupants, one room)`,
    better: 'higher',
    scenario: 'muc',
    cell: (r) =>
      r.muc
        ? { text: fmtNum(r.muc.joinsPerS), value: r.muc.joinsPerS }
        : (failedScenario(r, 'muc') ?? NONE),
  });
  for (const rate of plan.mucRates) {
    rows.push({
      label: `MUC p50 / p99 ms, ${n(rate)} msgs/s to ${n(plan.mucOccupants)} occupants (${n(rate * plan.mucOccupants)} deliveries/s)`,
      better: 'lower',
      scenario: 'muc',
      cell: (r) => mucCell(r, rate),
    });
  }
  return rows.filter((row) => plan.scenarios.includes(row.scenario));
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/**
 * The markdown table: a column per target, and after every target but the
 * first a column with its ratio to the first (the baseline, ejabberd).
 */
export function formatMarkdownTable(results: TargetResult[], rows: Row[]): string {
  if (results.length === 0) return '(no target was run)';
  const base = results[0]!;
  const header = ['', 'better'];
  for (const [i, r] of results.entries()) {
    header.push(r.title);
    if (i > 0) header.push(`÷ ${base.title}`);
  }
  const lines = [
    `| ${header.map(escapeCell).join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
  ];
  for (const row of rows) {
    const baseCell = row.cell(base);
    const cells = [row.label, row.better];
    for (const [i, r] of results.entries()) {
      const c = i === 0 ? baseCell : row.cell(r);
      cells.push(c.text);
      if (i > 0) cells.push(ratio(c.value, baseCell.value));
    }
    lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The most CPU other processes used in any measured window of the target (disturbance). */
export function maxOtherCpu(r: TargetResult): number | null {
  const values: number[] = [];
  for (const l of [r.chat, r.mam, r.muc?.ladder]) {
    for (const s of l?.steps ?? [])
      if (typeof s.otherCpuPct === 'number') values.push(s.otherCpuPct);
  }
  for (const p of [r.idle, r.tls]) {
    for (const f of [p?.first, p?.again])
      if (typeof f?.otherCpuPct === 'number') values.push(f.otherCpuPct);
  }
  return values.length > 0 ? Math.max(...values) : null;
}

/** The notes under the table: what each target is, stores and ran on, and what failed. */
export function formatNotes(results: TargetResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `- **${r.title}**: ${r.software}; passwords: ${r.passwords}; archive: ${r.archive}; ${r.cpus}.`,
    );
    const stops: string[] = [];
    if (r.chat) stops.push(`chat: ${r.chat.stopReason}`);
    if (r.mam) stops.push(`archived chat: ${r.mam.stopReason}`);
    if (r.muc) stops.push(`MUC: ${r.muc.ladder.stopReason}`);
    if (stops.length > 0) lines.push(`  - ${stops.join('; ')}.`);
    const other = maxOtherCpu(r);
    if (other !== null)
      lines.push(
        `  - other processes: at most ${fmtNum(other)}% of a core in any measured window.`,
      );
    for (const e of r.errors) lines.push(`  - ${e.scenario} failed: ${e.error}`);
  }
  return lines.join('\n');
}
