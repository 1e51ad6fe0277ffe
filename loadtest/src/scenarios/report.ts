/**
 * The run report: one sample per second (sessions, logins/s, msgs/s,
 * latency percentiles, RSS and CPU of every process) and the final figures,
 * written as JSON and as a self-contained HTML page of inline SVG charts.
 */
import type { HistogramFigures } from './histogram.js';

export interface ProcessSample {
  rssMiB: number | null;
  cpuPct: number | null;
}

export interface SecondSample {
  /** Seconds since the run started. */
  t: number;
  connected: number;
  inFlight: number;
  loginsPerS: number;
  loginErrors: number;
  sentPerS: number;
  receivedPerS: number;
  errors: number;
  dropped: number;
  resumed: number;
  latency: HistogramFigures;
  loginLatency: HistogramFigures;
  /** By process name (worker-N, gateway-N, registry-N, nats-server, redis-server, ...). */
  procs: Record<string, ProcessSample>;
}

export interface RunReport {
  scenario: string;
  description: string;
  command: string;
  startedAt: string;
  durationS: number;
  deadlineHit: boolean;
  machine: Record<string, unknown>;
  common: Record<string, unknown>;
  cfg: Record<string, unknown>;
  target: Record<string, unknown>;
  workers: { index: number; pid: number; first: number; count: number; sourceIps: string[] }[];
  totals: Record<string, number>;
  latency: HistogramFigures;
  loginLatency: HistogramFigures;
  figures: Record<string, unknown>;
  server: Record<string, unknown>;
  snapshots: Record<string, unknown>;
  errors: string[];
  series: SecondSample[];
}

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
  '#8c6d31',
  '#843c39',
  '#7b4173',
  '#3182bd',
];

export interface Series {
  name: string;
  values: (number | null)[];
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/** One line chart as an inline SVG element. */
export function lineChart(title: string, xs: number[], series: Series[], unit = ''): string {
  const W = 900;
  const H = 260;
  const L = 60;
  const R = 170;
  const T = 28;
  const B = 30;
  const pw = W - L - R;
  const ph = H - T - B;
  const xmax = Math.max(1, ...xs);
  let ymax = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > ymax) ymax = v;
  ymax = niceMax(ymax);
  const x = (t: number) => L + (t / xmax) * pw;
  const y = (v: number) => T + ph - (v / ymax) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4;
    parts.push(
      `<line x1="${L}" x2="${L + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
        `<text x="${L - 4}" y="${y(v) + 4}" text-anchor="end">${fmtTick(v)}${esc(unit)}</text>`,
    );
  }
  const xstep = niceMax(xmax / 8);
  for (let t = 0; t <= xmax; t += xstep) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${T}" y2="${T + ph}" stroke="#eee"/>` +
        `<text x="${x(t)}" y="${T + ph + 14}" text-anchor="middle">${fmtTick(t)}s</text>`,
    );
  }
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    let d = '';
    let pen = false;
    s.values.forEach((v, k) => {
      if (v === null || xs[k] === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(xs[k]!).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const ly = T + 12 + si * 14;
    parts.push(
      `<rect x="${L + pw + 10}" y="${ly - 8}" width="10" height="3" fill="${color}"/>` +
        `<text x="${L + pw + 24}" y="${ly - 3}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The HTML page of a report: the figures as a table, then the charts. */
export function reportHtml(r: RunReport): string {
  const xs = r.series.map((s) => s.t);
  const col = (f: (s: SecondSample) => number | null) => r.series.map(f);
  const procNames = [...new Set(r.series.flatMap((s) => Object.keys(s.procs)))];
  const charts = [
    lineChart('sessions', xs, [
      { name: 'connected', values: col((s) => s.connected) },
      { name: 'negotiating', values: col((s) => s.inFlight) },
    ]),
    lineChart('logins/s', xs, [
      { name: 'logins/s', values: col((s) => s.loginsPerS) },
      { name: 'login errors/s', values: col((s) => s.loginErrors) },
      { name: 'resumed/s', values: col((s) => s.resumed) },
    ]),
    lineChart('stanzas/s', xs, [
      { name: 'sent/s', values: col((s) => s.sentPerS) },
      { name: 'received/s', values: col((s) => s.receivedPerS) },
      { name: 'errors/s', values: col((s) => s.errors) },
    ]),
    lineChart(
      'delivery latency per second (ms)',
      xs,
      [
        { name: 'p50', values: col((s) => s.latency.p50) },
        { name: 'p90', values: col((s) => s.latency.p90) },
        { name: 'p99', values: col((s) => s.latency.p99) },
        { name: 'max', values: col((s) => s.latency.max) },
      ],
      '',
    ),
    lineChart('login latency per second (ms)', xs, [
      { name: 'p50', values: col((s) => s.loginLatency.p50) },
      { name: 'p99', values: col((s) => s.loginLatency.p99) },
      { name: 'max', values: col((s) => s.loginLatency.max) },
    ]),
    lineChart(
      'RSS per process (MiB)',
      xs,
      procNames.map((n) => ({ name: n, values: col((s) => s.procs[n]?.rssMiB ?? null) })),
    ),
    lineChart(
      'CPU per process (% of one core)',
      xs,
      procNames.map((n) => ({ name: n, values: col((s) => s.procs[n]?.cpuPct ?? null) })),
    ),
  ];
  const rows = Object.entries({ ...r.figures, ...r.server })
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(r.scenario)} ${esc(r.startedAt)}</title>
<style>body{font-family:sans-serif;margin:20px}th{text-align:left;padding-right:12px;font-weight:normal;color:#555}td{font-family:monospace}table{margin-bottom:16px}</style>
</head><body>
<h1>${esc(r.scenario)}</h1>
<p>${esc(r.description)}</p>
<p><code>${esc(r.command)}</code></p>
<p>started ${esc(r.startedAt)}, ${r.durationS} s${r.deadlineHit ? ', <b>stopped by the hard deadline</b>' : ''}</p>
<table>${rows}</table>
<p>latency overall: ${esc(JSON.stringify(r.latency))}; login latency: ${esc(JSON.stringify(r.loginLatency))}</p>
${r.errors.length > 0 ? `<p>errors:</p><pre>${esc(r.errors.join('\n'))}</pre>` : ''}
${charts.map((c) => `<div>${c}</div>`).join('\n')}
</body></html>
`;
}
