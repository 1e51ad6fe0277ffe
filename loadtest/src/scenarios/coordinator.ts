/**
 * The coordinator: starts the target, N worker processes (each under its
 * own open-file limit, with its own source addresses and share of the
 * sessions), aggregates their per-second counters and latency histograms,
 * samples RSS and CPU of every process from /proc, runs the scenario's
 * barriers, enforces the hard deadline (SIGKILL of the workers by PID), and
 * writes the JSON and HTML reports.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCpuSeconds, readRssKiB } from '../util.js';
import { Histogram } from './histogram.js';
import { reportHtml } from './report.js';
import type { RunReport, SecondSample } from './report.js';
import type { Target } from './target.js';
import { snapshot } from './target.js';
import type { ServerSnapshot } from './target.js';
import type {
  CommonConfig,
  CoordinatorContext,
  FromWorker,
  Scenario,
  ScenarioConfig,
  ToWorker,
  WorkerCounters,
} from './types.js';
import { zeroCounters } from './types.js';
import { sourceAddresses } from './worker.js';

export interface RunOptions {
  scenario: Scenario;
  common: CommonConfig;
  cfg: ScenarioConfig;
  target: Target;
  workers: number;
  /** Open-file limit of each worker (soft and hard). */
  nofile: number;
  /** Seconds after the start when everything is stopped. */
  deadlineS: number;
  outDir: string;
  command: string;
  log: (l: string) => void;
}

function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof WorkerCounters)[]) out[k] += b[k];
  return out;
}

/** Splits n sessions over w workers: contiguous ranges, sizes differing by at most one. */
export function splitSessions(n: number, w: number): { first: number; count: number }[] {
  const out: { first: number; count: number }[] = [];
  let first = 0;
  for (let i = 0; i < w; i++) {
    const count = Math.floor(n / w) + (i < n % w ? 1 : 0);
    out.push({ first, count });
    first += count;
  }
  return out;
}

/** How to start a worker: prlimit when present, else bash's ulimit, then node. */
export function workerCommand(nofile: number, script: string): [string, string[]] {
  const node = process.execPath;
  if (existsSync('/usr/bin/prlimit'))
    return ['/usr/bin/prlimit', [`--nofile=${nofile}:${nofile}`, node, script, '__worker']];
  return ['bash', ['-c', `ulimit -n ${nofile} && exec "$0" "$1" __worker`, node, script]];
}

interface WorkerHandle {
  index: number;
  child: ChildProcess;
  pid: number;
  first: number;
  count: number;
  counters: WorkerCounters;
  done: boolean;
  result: Record<string, unknown>;
  errors: string[];
}

export async function runScenario(o: RunOptions): Promise<RunReport> {
  const { scenario, common, cfg, target } = o;
  const script = fileURLToPath(new URL('../scenarios-main.js', import.meta.url));
  const t0 = Date.now();
  const deadline = t0 + o.deadlineS * 1000;
  const ranges = splitSessions(common.sessions, o.workers);
  const secHist = new Histogram();
  const secLogin = new Histogram();
  const allHist = new Histogram();
  const allLogin = new Histogram();
  const series: SecondSample[] = [];
  const snapshots: Record<string, ServerSnapshot> = {};
  const notes: Record<string, unknown> = {};
  const barrierArrivals = new Map<string, unknown[]>();
  let deadlineHit = false;

  snapshots['start'] = await snapshot(target);

  const [cmd, args] = workerCommand(o.nofile, script);
  const workers: WorkerHandle[] = ranges.map((r, index) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (child.pid === undefined) throw new Error('could not start a worker');
    return {
      index,
      child,
      pid: child.pid,
      ...r,
      counters: zeroCounters(),
      done: false,
      result: {},
      errors: [],
    };
  });
  o.log(
    `coordinator: ${workers.length} workers (pids ${workers.map((w) => w.pid).join(', ')}), ` +
      `${common.sessions} sessions, ${common.sourceIps} source addresses each, open-file limit ${o.nofile}`,
  );
  const exited = workers.map(
    (w) =>
      new Promise<void>((resolve) => {
        w.child.once('exit', (code, sig) => {
          if (!w.done) o.log(`coordinator: worker ${w.index} exited early (${code ?? sig})`);
          w.done = true;
          resolve();
        });
      }),
  );

  const ctxFor = (arrivals: unknown[]): CoordinatorContext => ({
    cfg,
    common,
    serverProcesses: target.processes,
    arrivals,
    notes,
    log: o.log,
  });

  const onMessage = (w: WorkerHandle, m: FromWorker): void => {
    switch (m.t) {
      case 'tick':
        w.counters = m.c;
        secHist.merge(m.h, m.hmax);
        secLogin.merge(m.lh, m.lhmax);
        return;
      case 'log':
        o.log(m.line);
        return;
      case 'done':
        w.counters = m.c;
        w.result = m.result;
        w.errors = m.errors;
        w.done = true;
        return;
      case 'barrier': {
        const list = barrierArrivals.get(m.name) ?? [];
        list[w.index] = m.data;
        barrierArrivals.set(m.name, list);
        const arrived = list.filter((_, i) => i in list).length;
        const alive = workers.filter((x) => !x.done).length;
        if (arrived >= alive) void release(m.name, list);
        return;
      }
    }
  };
  const release = async (name: string, list: unknown[]): Promise<void> => {
    barrierArrivals.set(name, []);
    const elapsed = ((Date.now() - t0) / 1000).toFixed(1);
    o.log(`coordinator: barrier '${name}' reached at ${elapsed} s`);
    snapshots[name] = await snapshot(target);
    let data: unknown;
    try {
      data = await scenario.onBarrier?.(name, ctxFor(list));
    } catch (err) {
      o.log(`coordinator: barrier ${name} action failed: ${String(err)}`);
    }
    for (const w of workers)
      if (!w.done) w.child.send({ t: 'release', name, data } satisfies ToWorker);
  };
  for (const w of workers) w.child.on('message', (m: FromWorker) => onMessage(w, m));
  for (const w of workers) {
    w.child.send({
      t: 'start',
      scenario: scenario.name,
      index: w.index,
      workers: workers.length,
      first: w.first,
      count: w.count,
      common,
      cfg,
      target: { host: target.host, ports: target.ports },
      deadline,
      t0,
    } satisfies ToWorker);
  }

  // Per-second sampling.
  const procs = [
    ...workers.map((w) => ({ name: `worker-${w.index + 1}`, pid: w.pid })),
    ...target.processes,
  ];
  let prevCpu = new Map(procs.map((p) => [p.name, readCpuSeconds(p.pid)]));
  let prevT = performance.now();
  let prev = zeroCounters();
  const sample = (): void => {
    const now = performance.now();
    const dt = (now - prevT) / 1000;
    prevT = now;
    const sum = workers.reduce((a, w) => addCounters(a, w.counters), zeroCounters());
    const cpuNow = new Map(procs.map((p) => [p.name, readCpuSeconds(p.pid)]));
    const procSamples: SecondSample['procs'] = {};
    for (const p of procs) {
      const rss = readRssKiB(p.pid);
      const c0 = prevCpu.get(p.name);
      const c1 = cpuNow.get(p.name);
      procSamples[p.name] = {
        rssMiB: rss === undefined ? null : Math.round((rss / 1024) * 10) / 10,
        cpuPct:
          c0 === undefined || c1 === undefined || dt <= 0
            ? null
            : Math.round(((c1 - c0) / dt) * 1000) / 10,
      };
    }
    prevCpu = cpuNow;
    const per = (k: keyof WorkerCounters) => Math.round((sum[k] - prev[k]) / dt);
    const s: SecondSample = {
      t: Math.round((Date.now() - t0) / 100) / 10,
      connected: sum.connected,
      inFlight: sum.inFlight,
      loginsPerS: per('logins'),
      loginErrors: per('loginErrors'),
      sentPerS: per('sent'),
      receivedPerS: per('received'),
      errors: per('errors'),
      dropped: per('dropped'),
      resumed: per('resumed'),
      latency: secHist.figures(),
      loginLatency: secLogin.figures(),
      procs: procSamples,
    };
    allHist.mergeHistogram(secHist);
    allLogin.mergeHistogram(secLogin);
    secHist.clear();
    secLogin.clear();
    prev = sum;
    series.push(s);
    const serverRss = target.processes.reduce((a, p) => a + (procSamples[p.name]?.rssMiB ?? 0), 0);
    const genRss = workers.reduce(
      (a, w) => a + (procSamples[`worker-${w.index + 1}`]?.rssMiB ?? 0),
      0,
    );
    const serverCpu = target.processes.reduce((a, p) => a + (procSamples[p.name]?.cpuPct ?? 0), 0);
    o.log(
      `[${s.t.toFixed(0).padStart(4)}s] connected ${sum.connected} (+${s.loginsPerS}/s, ${sum.inFlight} negotiating)` +
        ` logins ${sum.logins} err ${sum.loginErrors}` +
        ` | sent ${s.sentPerS}/s recv ${s.receivedPerS}/s` +
        (s.latency.count > 0 ? ` p50 ${s.latency.p50} p99 ${s.latency.p99} ms` : '') +
        ` | errors ${sum.errors} dropped ${sum.dropped}` +
        (sum.resumed > 0 ? ` resumed ${sum.resumed}` : '') +
        ` | server ${Math.round(serverRss)} MiB ${Math.round(serverCpu)}% gen ${Math.round(genRss)} MiB`,
    );
  };
  const ticker = setInterval(sample, 1000);

  // The hard deadline: whatever is still running is killed by PID.
  let killTimer: NodeJS.Timeout | undefined;
  const hard = new Promise<void>((resolve) => {
    killTimer = setTimeout(
      () => {
        deadlineHit = true;
        o.log('coordinator: hard deadline reached; stopping the workers');
        for (const w of workers) if (!w.done) w.child.send({ t: 'stop' } satisfies ToWorker);
        setTimeout(() => {
          for (const w of workers) {
            if (w.child.exitCode === null && w.child.signalCode === null) {
              o.log(`coordinator: SIGKILL worker ${w.index} (pid ${w.pid})`);
              try {
                process.kill(w.pid, 'SIGKILL');
              } catch {
                // already gone
              }
            }
          }
          resolve();
        }, 15_000);
      },
      Math.max(0, deadline - Date.now() + 5_000),
    );
  });
  await Promise.race([Promise.all(exited), hard]);
  clearTimeout(killTimer);
  clearInterval(ticker);
  sample();
  snapshots['end'] = await snapshot(target);

  const counters = workers.reduce((a, w) => addCounters(a, w.counters), zeroCounters());
  const sums: Record<string, number> = {};
  for (const w of workers)
    for (const [k, v] of Object.entries(w.result))
      if (typeof v === 'number') sums[k] = (sums[k] ?? 0) + v;
  const figures =
    scenario.summarize?.(sums, {
      common,
      cfg,
      counters,
      notes,
      results: workers.map((w) => w.result),
    }) ?? {};
  const report: RunReport = {
    scenario: scenario.name,
    description: scenario.description,
    command: o.command,
    startedAt: new Date(t0).toISOString(),
    durationS: Math.round((Date.now() - t0) / 100) / 10,
    deadlineHit,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memMiB: Math.round(totalmem() / 2 ** 20),
    },
    common: { ...common },
    cfg: { ...cfg },
    target: { kind: target.kind, ports: target.ports, processes: target.processes },
    workers: workers.map((w) => ({
      index: w.index,
      pid: w.pid,
      first: w.first,
      count: w.count,
      sourceIps: sourceAddresses(w.index, common.sourceIps),
    })),
    totals: { ...counters },
    latency: allHist.figures(),
    loginLatency: allLogin.figures(),
    figures: { ...figures, ...notes },
    server: serverFigures(target, snapshots, series),
    snapshots,
    errors: workers.flatMap((w) => w.errors.map((e) => `worker ${w.index}: ${e}`)),
    series,
  };
  await mkdir(o.outDir, { recursive: true });
  await writeFile(join(o.outDir, 'report.json'), JSON.stringify(report, null, 1));
  await writeFile(join(o.outDir, 'report.html'), reportHtml(report));
  return report;
}

/**
 * Per-session server costs between the 'start' snapshot and the fullest
 * one ('held' or 'connected'): RSS per session of each gateway (sessions are
 * spread evenly over the gateway ports), Redis memory per session, NATS
 * connections and subscriptions; and peak CPU per process.
 */
export function serverFigures(
  target: Target,
  snaps: Record<string, ServerSnapshot>,
  series: SecondSample[],
): Record<string, unknown> {
  const start = snaps['start'];
  const fullKey = ['held', 'connected', 'joined', 'back'].find((k) => snaps[k] !== undefined);
  const full = fullKey ? snaps[fullKey] : undefined;
  const out: Record<string, unknown> = {};
  if (!start || !full) return out;
  // Sessions when the snapshot was taken: the sample closest in time.
  const tFull = (full.at - (snaps['start']?.at ?? full.at)) / 1000;
  // Worker counters reach the coordinator once a second: the first sample a bit after the snapshot.
  const atFull =
    series.find((s) => s.t >= tFull + 1.2) ??
    series.reduce<SecondSample | undefined>(
      (best, s) =>
        best === undefined || Math.abs(s.t - tFull) < Math.abs(best.t - tFull) ? s : best,
      undefined,
    );
  const sessions = atFull?.connected ?? 0;
  out['snapshotAt'] = fullKey;
  out['sessionsAtSnapshot'] = sessions;
  const gws = target.processes.filter((p) => p.port !== undefined);
  const perGw = gws.length > 0 ? sessions / gws.length : 0;
  const kib: Record<string, number | null> = {};
  for (const g of gws) {
    const a = start.rssKiB[g.name];
    const b = full.rssKiB[g.name];
    kib[g.name] =
      a === null || b === null || a === undefined || b === undefined || perGw === 0
        ? null
        : Math.round(((b - a) / perGw) * 10) / 10;
  }
  out['gatewayKiBPerSession'] = kib;
  out['rssMiBAtSnapshot'] = Object.fromEntries(
    Object.entries(full.rssKiB).map(([k, v]) => [
      k,
      v === null ? null : Math.round(v / 102.4) / 10,
    ]),
  );
  if (start.redis && full.redis && sessions > 0) {
    const a = start.redis.usedMemory;
    const b = full.redis.usedMemory;
    out['redisBytesPerSession'] = a === null || b === null ? null : Math.round((b - a) / sessions);
    out['redisUsedMemoryMiB'] = b === null ? null : Math.round(b / 2 ** 20);
    out['redisKeys'] = full.redis.keys;
  }
  if (full.nats) out['nats'] = full.nats;
  if (start.nats) out['natsAtStart'] = start.nats;
  const peakCpu: Record<string, number> = {};
  for (const s of series)
    for (const [k, v] of Object.entries(s.procs))
      if (v.cpuPct !== null && v.cpuPct > (peakCpu[k] ?? 0)) peakCpu[k] = v.cpuPct;
  out['peakCpuPct'] = peakCpu;
  return out;
}
