/**
 * The shapes shared by the coordinator (scenarios-main.ts), its worker
 * processes (worker.ts) and the scenario modules: a scenario declares its
 * config, optionally prepares the server's data (rosters) and its settings,
 * runs in every worker over that worker's share of the sessions, and may act
 * in the coordinator at named barriers (e.g. kill a gateway).
 */
import type { LoadClient, LoadClientOptions } from '../client.js';
import type { SparseHistogram } from './histogram.js';

export type ConfigValue = number | string | boolean;

export interface ConfigField {
  default: ConfigValue;
  help: string;
}

export type ScenarioConfig = Record<string, ConfigValue>;

/** Options of every scenario (set on the command line, sent to every worker). */
export interface CommonConfig {
  /** Total sessions (users load1..loadN). */
  sessions: number;
  /** Session logins started per second, all workers together (0: unlimited). */
  rate: number;
  /** Negotiations in flight at once, all workers together. */
  handshakes: number;
  /** Source addresses per worker (127.0.<worker+1>.1 .. .N). */
  sourceIps: number;
  /** SASL mechanism. */
  mechanism: 'PLAIN' | 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
  userPattern: string;
  passwordPattern: string;
  /** Negotiation timeout per session, ms. */
  loginTimeoutMs: number;
  /** STARTTLS: `auto` (when required or needed for the mechanism), `always`, `never`. */
  starttls: 'auto' | 'always' | 'never';
  /**
   * Each worker keeps its users' TLS session tickets and offers them on their
   * next STARTTLS (a returning real client resumes). Each worker also keeps
   * its users' SCRAM SaltedPasswords, so a user's second login costs the
   * worker no PBKDF2.
   */
  tlsResume: boolean;
}

/** The target the workers connect to. */
export interface TargetSpec {
  host: string;
  ports: number[];
}

/** Coordinator → worker. */
export type ToWorker =
  | {
      t: 'start';
      scenario: string;
      index: number;
      workers: number;
      first: number;
      count: number;
      common: CommonConfig;
      cfg: ScenarioConfig;
      target: TargetSpec;
      /** Epoch ms after which the worker stops whatever it does and reports. */
      deadline: number;
      /** Absolute time origin of the run (epoch ms). */
      t0: number;
    }
  | { t: 'release'; name: string; data: unknown }
  | { t: 'stop' };

/** Cumulative counters of a worker (the coordinator takes deltas per second). */
export interface WorkerCounters {
  /** Sessions authenticated and bound now. */
  connected: number;
  /** Logins completed (cumulative; resumptions count in `resumed`). */
  logins: number;
  loginErrors: number;
  /** Sessions the server closed or lost while held. */
  dropped: number;
  /** Stanzas the scenario sent / received that it measures (messages, presences). */
  sent: number;
  received: number;
  /** Error stanzas, failed sends. */
  errors: number;
  resumed: number;
  resumeErrors: number;
  /** Logins whose TLS handshake resumed an earlier session (--tls-resume). */
  tlsResumed: number;
  /** Negotiations in flight now. */
  inFlight: number;
}

/** Every counter at zero (a fresh copy each call). */
export function zeroCounters(): WorkerCounters {
  return {
    connected: 0,
    logins: 0,
    loginErrors: 0,
    dropped: 0,
    sent: 0,
    received: 0,
    errors: 0,
    resumed: 0,
    resumeErrors: 0,
    tlsResumed: 0,
    inFlight: 0,
  };
}

/** Worker → coordinator. */
export type FromWorker =
  | {
      t: 'tick';
      c: WorkerCounters;
      /** Latencies recorded since the previous tick, ms, and their maximum. */
      h: SparseHistogram;
      hmax: number;
      /** Login (negotiation) durations since the previous tick, ms. */
      lh: SparseHistogram;
      lhmax: number;
    }
  | { t: 'barrier'; name: string; data?: unknown }
  | { t: 'log'; line: string }
  | { t: 'done'; c: WorkerCounters; result: Record<string, unknown>; errors: string[] };

/** What a scenario sees in a worker. */
export interface WorkerContext {
  index: number;
  workers: number;
  /** This worker's sessions: global indexes first .. first+count-1 (user load<i+1>). */
  first: number;
  count: number;
  totalSessions: number;
  common: CommonConfig;
  cfg: ScenarioConfig;
  target: TargetSpec;
  deadline: number;
  counters: WorkerCounters;
  /** Scenario figures of this worker (numbers are summed over workers, others listed). */
  result: Record<string, unknown>;
  /** The bare JID of global session i (0-based). */
  jid(i: number): string;
  /** Gateway port of global session i. */
  portOf(i: number): number;
  /** Connects this worker's sessions at the ramp rate; failures are counted and sampled. */
  connectAll(
    extra?: (i: number) => Partial<LoadClientOptions>,
  ): Promise<(LoadClient | undefined)[]>;
  /** Connects one session (global index) within the handshake limit, without the ramp. */
  connectOne(i: number, extra?: Partial<LoadClientOptions>): Promise<LoadClient>;
  /** Records a latency sample, ms. */
  latency(ms: number): void;
  /** Waits until every worker reached the barrier and the coordinator released it. */
  barrier(name: string, data?: unknown): Promise<unknown>;
  /** Sleeps, at most until the deadline. Returns false when the deadline passed. */
  sleep(ms: number): Promise<boolean>;
  /** True once the deadline passed or a stop was asked. */
  expired(): boolean;
  /** Records an error text (the first few are reported). */
  error(text: string): void;
  log(line: string): void;
}

/** What a scenario sees in the coordinator at a barrier. */
export interface CoordinatorContext {
  cfg: ScenarioConfig;
  common: CommonConfig;
  /** Server processes (gateways first), for kills and readings. */
  serverProcesses: { name: string; pid: number; port?: number }[];
  /** Per-worker data sent with the barrier. */
  arrivals: unknown[];
  /** Notes for the report. */
  notes: Record<string, unknown>;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  description: string;
  config: Record<string, ConfigField>;
  /** Users to import (default: sessions). */
  users?(common: CommonConfig, cfg: ScenarioConfig): number;
  /** Extra PARLEY_* settings for a spawned server or cluster. */
  serverEnv?(common: CommonConfig, cfg: ScenarioConfig): Record<string, string>;
  /** Runs on the fresh data directory before the server starts (e.g. rosters into LMDB). */
  prepare?(
    dataDir: string,
    common: CommonConfig,
    cfg: ScenarioConfig,
    log: (l: string) => void,
  ): Promise<void>;
  /** Needs a cluster with several gateways (reconnect-storm). */
  needsCluster?: boolean;
  worker(ctx: WorkerContext): Promise<void>;
  /** Coordinator action when every worker reached a barrier; the value goes to the workers. */
  onBarrier?(name: string, ctx: CoordinatorContext): Promise<unknown>;
  /** Scenario figures from the summed worker results and the run. */
  summarize?(sum: Record<string, number>, run: RunFacts): Record<string, unknown>;
}

/** What summarize gets besides the worker sums. */
export interface RunFacts {
  common: CommonConfig;
  cfg: ScenarioConfig;
  counters: WorkerCounters;
  notes: Record<string, unknown>;
  /** Each worker's own result. */
  results: Record<string, unknown>[];
}

/**
 * The login figures of a run whose workers record `firstStart` and
 * `lastLogin` (ms) in their results: from the first connect to the last login.
 */
export function loginFigures(run: RunFacts): Record<string, unknown> {
  const starts = run.results.map((r) => Number(r['firstStart']));
  const ends = run.results.map((r) => Number(r['lastLogin']));
  const seconds = (Math.max(...ends) - Math.min(...starts)) / 1000;
  return {
    logins: run.counters.logins,
    loginErrors: run.counters.loginErrors,
    loginSeconds: Math.round(seconds * 100) / 100,
    loginsPerSecond: seconds > 0 ? Math.round(run.counters.logins / seconds) : null,
  };
}

export function num(cfg: ScenarioConfig, key: string): number {
  const v = cfg[key];
  if (typeof v !== 'number') throw new Error(`config ${key} is not a number`);
  return v;
}

export function str(cfg: ScenarioConfig, key: string): string {
  return String(cfg[key]);
}

export function bool(cfg: ScenarioConfig, key: string): boolean {
  return cfg[key] === true;
}

/** Absolute time in ms with sub-ms resolution, comparable across processes of one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
