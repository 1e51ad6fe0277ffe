/**
 * The side-by-side run's command line: which targets, which scenarios, and
 * how big and how long each one is. `--quick` changes the defaults (not what
 * is given explicitly). Pure: no I/O, so the unit tests run it directly.
 */
import { parseArgs } from 'node:util';

export const TARGETS = ['ejabberd', 'prosody', 'parley', 'parley-cluster'] as const;
export type TargetName = (typeof TARGETS)[number];

export const SCENARIOS = ['idle', 'tls', 'chat', 'mam', 'muc'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SideBySidePlan {
  quick: boolean;
  targets: TargetName[];
  scenarios: ScenarioName[];
  /** Idle sessions held without TLS (PLAIN), and the PLAIN login passes. */
  sessions: number;
  /** Idle sessions held with STARTTLS + SCRAM-SHA-1, and the SCRAM login passes. */
  tlsSessions: number;
  /** Connections negotiating at once while logging in. */
  loginConcurrency: number;
  /** Seconds between the last login and the RSS reading. */
  settleS: number;
  /** One-to-one chat: pairs (2 x pairs sessions, every session sends). */
  pairs: number;
  /** The fixed offered rates (msgs/s), in order; a target's ladder stops at the first saturated one. */
  rates: number[];
  /** The same with every message archived (lower: archiving servers saturate early). */
  mamRates: number[];
  warmupS: number;
  durationS: number;
  drainS: number;
  /** "Sustained": no loss or errors, >= 95% delivered, p99 at most this (ms). */
  maxP99Ms: number;
  /** "Saturated" (the ladder stops): loss, errors, < 95% delivered, or p99 above this (ms). */
  saturationP99Ms: number;
  /** The search for the highest sustained rate multiplies by this. */
  stepFactor: number;
  /** Never offer more than this (msgs/s). */
  maxRate: number;
  /** A step failing on latency or throughput alone is run again this often (noise). */
  retries: number;
  /** MUC: occupants of the one room (at most 200: ejabberd's and Parley's default room size). */
  mucOccupants: number;
  mucSenders: number;
  /** Offered groupchat msgs/s, all senders together; deliveries/s = rate x occupants. */
  mucRates: number[];
  /** CPUs of a single-process server (taskset list). */
  serverCpus: string;
  /** CPUs of the load generator (this process). */
  generatorCpus: string;
  /** CPUs of every process of the Parley cluster. */
  clusterCpus: string;
  gateways: number;
  registries: number;
  /** ejabberd's auth_password_format: scram (salted, like the others; default) or plain. */
  ejabberdPasswords: 'scram' | 'plain';
  /** Output directory for the table (markdown) and the JSON. */
  out: string;
  /** The whole run stops (servers stopped, partial table written) after this many minutes. */
  maxMinutes: number;
  /**
   * Earlier runs' output directories (or side-by-side.json files): no run,
   * one table of their targets (a target of a later run replaces an earlier one's).
   */
  combine: string[];
}

export const USAGE = `Side-by-side benchmark: Debian's ejabberd and Prosody, Parley single node and
Parley local cluster, one after the other, the same users and scenarios, one table.

  bash loadtest/side-by-side.sh [--quick] [options]      (installs, builds, then runs this)
  node loadtest/dist/src/side-by-side/main.js [options]  (needs root for the peers)

  --quick                 small and short (about 10 minutes instead of 40)
  --targets LIST          ${TARGETS.join(',')} (default: all, in that order)
  --scenarios LIST        ${SCENARIOS.join(',')} (default: all)
  --sessions N            idle sessions held, PLAIN (default 10000; quick 2000)
  --tls-sessions N        idle sessions held, STARTTLS + SCRAM-SHA-1 (default 5000; quick 1000)
  --login-concurrency C   connections negotiating at once (default 200)
  --settle S              seconds before the idle RSS reading (default 5; quick 3)
  --pairs P               chat pairs (default 500; quick 250)
  --rates R1,R2,...       fixed offered chat rates, msgs/s (default 1000,2000,5000,7500)
  --mam-rates R1,...      the same, every message archived (default 250,500,1000,2000,5000)
  --warmup S              seconds per rate before measuring (default 3; quick 2)
  --duration S            measured seconds per rate (default 10; quick 5)
  --drain S               a message missing when none arrived for S seconds is lost (default 5; quick 3)
  --max-p99 MS            "sustained" needs p99 <= MS (default 50)
  --saturation-p99 MS     the ladder stops above this p99 (default 1000)
  --step-factor F         the highest-rate search multiplies by F (default 1.25; quick 1.5)
  --max-rate R            highest rate offered (default 40000)
  --retries N             a step failing on latency alone is run again N times (default 1; quick 0)
  --muc-occupants N       occupants of the room, at most 200 (default 200; quick 100)
  --muc-senders N         default 10
  --muc-rates R1,...      groupchat msgs/s offered (default 5,10,20; quick 10)
  --server-cpus LIST      single-process servers (default 0)
  --generator-cpus LIST   this load generator (default 1)
  --cluster-cpus LIST     every process of the Parley cluster (default 0,1: both cores)
  --gateways N            cluster gateways (default 2)
  --registries N          cluster session-registry workers (default 2)
  --ejabberd-passwords F  scram (default: salted SCRAM-SHA-1 keys, like Prosody and Parley)
                          or plain (ejabberd's own default: the password in clear)
  --out DIR               default /tmp/parley-side-by-side/<time>
  --max-minutes M         stop everything after M minutes (default 60; quick 20)
  --combine DIR,DIR       no run: one table of earlier runs (their side-by-side.json), e.g. a run
                          cut short and a run of the targets it missed; a target of a later
                          run replaces an earlier one's; written to --out
  -h, --help
`;

function positiveInt(v: string | undefined, name: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

function positiveNum(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number > 0, got ${v}`);
  return n;
}

function rateList(v: string | undefined, name: string, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((r) => !Number.isFinite(r) || r <= 0))
    throw new Error(`--${name} takes positive numbers separated by commas, got ${v}`);
  for (let i = 1; i < list.length; i++) {
    if (list[i]! <= list[i - 1]!) throw new Error(`--${name} must increase, got ${v}`);
  }
  return list;
}

function choices<T extends string>(v: string | undefined, name: string, all: readonly T[]): T[] {
  if (v === undefined) return [...all];
  const picked = v.split(',').map((x) => x.trim());
  const unknown = picked.filter((x) => !(all as readonly string[]).includes(x));
  if (unknown.length > 0 || picked.length === 0)
    throw new Error(`--${name} takes ${all.join(', ')}; got ${v}`);
  // Always in the canonical order (ejabberd first: it is the ratios' baseline).
  return all.filter((x) => picked.includes(x));
}

function cpuList(v: string | undefined, name: string, dflt: string): string {
  const list = v ?? dflt;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list))
    throw new Error(`--${name} must be a CPU list such as 0 or 0,1 or 0-3, got ${list}`);
  return list;
}

/** A directory name from a time: 2026-12-08T10-15-00Z. */
export function timeStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** Parses the command line; `{ help }` when -h/--help was given. Throws on bad input. */
export function parseSideBySideArgs(argv: string[], now: Date): SideBySidePlan | { help: string } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      sessions: { type: 'string' },
      'tls-sessions': { type: 'string' },
      'login-concurrency': { type: 'string' },
      settle: { type: 'string' },
      pairs: { type: 'string' },
      rates: { type: 'string' },
      'mam-rates': { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      drain: { type: 'string' },
      'max-p99': { type: 'string' },
      'saturation-p99': { type: 'string' },
      'step-factor': { type: 'string' },
      'max-rate': { type: 'string' },
      retries: { type: 'string' },
      'muc-occupants': { type: 'string' },
      'muc-senders': { type: 'string' },
      'muc-rates': { type: 'string' },
      'server-cpus': { type: 'string' },
      'generator-cpus': { type: 'string' },
      'cluster-cpus': { type: 'string' },
      gateways: { type: 'string' },
      registries: { type: 'string' },
      'ejabberd-passwords': { type: 'string' },
      out: { type: 'string' },
      'max-minutes': { type: 'string' },
      combine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: USAGE };
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`);
  const quick = values.quick === true;
  const q = <T>(full: T, small: T): T => (quick ? small : full);
  const ejabberdPasswords = values['ejabberd-passwords'] ?? 'scram';
  if (ejabberdPasswords !== 'scram' && ejabberdPasswords !== 'plain')
    throw new Error(`--ejabberd-passwords must be scram or plain, got ${ejabberdPasswords}`);
  const stepFactor = positiveNum(values['step-factor'], 'step-factor', q(1.25, 1.5));
  if (stepFactor <= 1) throw new Error('--step-factor must be > 1');
  const mucOccupants = positiveInt(values['muc-occupants'], 'muc-occupants', q(200, 100), 2);
  if (mucOccupants > 200)
    throw new Error('--muc-occupants: at most 200 (the default room size of ejabberd and Parley)');
  const mucSenders = positiveInt(values['muc-senders'], 'muc-senders', 10);
  if (mucSenders > mucOccupants) throw new Error('--muc-senders must not exceed --muc-occupants');
  const serverCpus = cpuList(values['server-cpus'], 'server-cpus', '0');
  const generatorCpus = cpuList(values['generator-cpus'], 'generator-cpus', '1');
  return {
    quick,
    targets: choices(values.targets, 'targets', TARGETS),
    scenarios: choices(values.scenarios, 'scenarios', SCENARIOS),
    sessions: positiveInt(values.sessions, 'sessions', q(10_000, 2_000)),
    tlsSessions: positiveInt(values['tls-sessions'], 'tls-sessions', q(5_000, 1_000)),
    loginConcurrency: positiveInt(values['login-concurrency'], 'login-concurrency', 200),
    settleS: positiveNum(values.settle, 'settle', q(5, 3)),
    pairs: positiveInt(values.pairs, 'pairs', q(500, 250)),
    rates: rateList(values.rates, 'rates', [1000, 2000, 5000, 7500]),
    mamRates: rateList(values['mam-rates'], 'mam-rates', [250, 500, 1000, 2000, 5000]),
    warmupS: positiveNum(values.warmup, 'warmup', q(3, 2)),
    durationS: positiveNum(values.duration, 'duration', q(10, 5)),
    drainS: positiveNum(values.drain, 'drain', q(5, 3)),
    maxP99Ms: positiveNum(values['max-p99'], 'max-p99', 50),
    saturationP99Ms: positiveNum(values['saturation-p99'], 'saturation-p99', 1000),
    stepFactor,
    maxRate: positiveNum(values['max-rate'], 'max-rate', 40_000),
    retries: positiveInt(values.retries, 'retries', q(1, 0), 0),
    mucOccupants,
    mucSenders,
    mucRates: rateList(values['muc-rates'], 'muc-rates', q([5, 10, 20], [10])),
    serverCpus,
    generatorCpus,
    clusterCpus: cpuList(values['cluster-cpus'], 'cluster-cpus', '0,1'),
    gateways: positiveInt(values.gateways, 'gateways', 2),
    registries: positiveInt(values.registries, 'registries', 2),
    ejabberdPasswords,
    out: values.out ?? `/tmp/parley-side-by-side/${timeStamp(now)}`,
    maxMinutes: positiveNum(values['max-minutes'], 'max-minutes', q(60, 20)),
    combine:
      values.combine === undefined
        ? []
        : values.combine
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== ''),
  };
}
