/**
 * The scenarios of one target, one after the other, each on a freshly
 * started instance where the figure needs it:
 *
 * 1. archiving off, MUC on (users 1..max(sessions, 2 x pairs, occupants)):
 *    idle PLAIN (first logins; the sessions held for RSS per session), the
 *    same users again (returning logins), the chat ladder and the search for
 *    the highest sustained rate, MUC fan-out;
 * 2. archiving off: idle STARTTLS + SCRAM-SHA-1 (first logins, RSS per TLS
 *    session), again with the generator's SCRAM keys cached;
 * 3. every message archived: the chat ladder and search again.
 *
 * A fresh instance for the TLS sessions keeps the first pass's RSS figure
 * clean (a process that held and closed sessions before reuses that memory).
 */
import { runIdle } from '../bench-idle.js';
import type { IdleResult, TargetOptions } from '../bench-idle.js';
import { connectPairs, runStep } from '../bench-chat.js';
import type { ChatOptions, ChatStep } from '../bench-chat.js';
import { joinRoom, runMucStep } from '../bench-muc.js';
import type { MucStep } from '../bench-muc.js';
import type { LoadMechanism } from '../client.js';
import { errorText } from '../util.js';
import type { ScenarioName, SideBySidePlan, TargetName } from './args.js';
import { runLadder } from './ladder.js';
import { waitQuiet } from './quiet.js';
import type { LadderResult, StepFigures } from './ladder.js';
import type { LoginFigures, LoginPasses, TargetResult } from './results.js';
import { PASSWORD_PATTERN, USER_PATTERN, startTarget } from './targets.js';
import type { Cleanup, InstanceSpec, RunningTarget, TlsFiles } from './targets.js';

export interface TargetMeta {
  title: string;
  software: string;
  passwords: string;
  cpus: string;
  archive: string;
}

export interface RunContext {
  plan: SideBySidePlan;
  tls: TlsFiles;
  cleanup: Cleanup;
  log: (line: string) => void;
  /** True when the run's time is nearly up: no new steps are started. */
  outOfTime: () => boolean;
  /** Raw reports of every scenario, for the JSON. */
  raw: Record<string, unknown>;
}

export function loginFigures(r: IdleResult, held: boolean): LoginFigures {
  const round = r.rounds[r.rounds.length - 1]!;
  return {
    sessions: r.connections,
    failed: r.failed,
    loginsPerS: round.rate,
    serverCpuMsPerLogin: round.serverCpuMsPerLogin,
    serverCpuPct: round.serverCpuPct,
    clientCpuPct: round.clientCpuPct,
    otherCpuPct: round.otherCpuPct,
    kibPerSession: held ? r.kibPerConnection : null,
    rssBeforeKiB: r.serverRssBeforeKiB,
    rssAfterKiB: r.serverRssAfterKiB,
  };
}

export function chatFigures(s: ChatStep): StepFigures {
  return {
    rate: s.offeredRate,
    sentRate: s.sentRate,
    deliveredRate: s.deliveredRate,
    expectedDeliveredRate: s.sentRate,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
    lost: s.lost,
    errors: s.errors + s.outOfOrder,
    serverCpuPct: s.serverCpuPct,
    otherCpuPct: s.otherCpuPct,
  };
}

export function mucFigures(s: MucStep): StepFigures {
  return {
    rate: s.offeredRate,
    sentRate: s.sentRate,
    deliveredRate: s.deliveredRate,
    expectedDeliveredRate: s.expectedDeliveryRate,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
    lost: s.lost,
    errors: s.errors + s.removed + s.duplicates + s.outOfOrder,
    serverCpuPct: s.serverCpuPct,
    otherCpuPct: s.otherCpuPct,
  };
}

function targetOptions(
  t: RunningTarget,
  ctx: RunContext,
  mechanism: LoadMechanism,
  starttls: 'always' | 'never',
): TargetOptions {
  return {
    host: '127.0.0.1',
    port: t.port,
    userPattern: USER_PATTERN,
    passwordPattern: PASSWORD_PATTERN,
    mechanism,
    starttls,
    concurrency: ctx.plan.loginConcurrency,
    localAddresses: [],
    ports: t.ports,
    serverProcesses: t.processes,
    log: ctx.log,
  };
}

async function loginPasses(
  target: TargetOptions,
  sessions: number,
  ctx: RunContext,
  key: string,
): Promise<LoginPasses> {
  // One SCRAM key cache for both passes: the second costs the generator no PBKDF2.
  const scramCache = new Map<string, Buffer>();
  const opts = { ...target, connections: sessions, firstUser: 1, rounds: 1, scramCache };
  ctx.log(`${key}: first logins, ${sessions} sessions held ${ctx.plan.settleS} s`);
  const first = await runIdle({ ...opts, settleS: ctx.plan.settleS });
  ctx.raw[`${key}.first`] = first;
  const passes: LoginPasses = { first: loginFigures(first, true) };
  if (ctx.outOfTime()) return passes;
  ctx.log(`${key}: the same users again`);
  const again = await runIdle({ ...opts, settleS: 0 });
  ctx.raw[`${key}.again`] = again;
  passes.again = loginFigures(again, false);
  return passes;
}

async function chatLadder(
  target: TargetOptions,
  ctx: RunContext,
  key: 'chat' | 'mam',
): Promise<LadderResult> {
  const { plan } = ctx;
  const rates = key === 'mam' ? plan.mamRates : plan.rates;
  const opts: ChatOptions = {
    ...target,
    pairs: plan.pairs,
    firstUser: 1,
    rate: rates[0]!,
    durationS: plan.durationS,
    warmupS: plan.warmupS,
    drainS: plan.drainS,
    maxP99Ms: plan.maxP99Ms,
    stepFactor: plan.stepFactor,
    maxRate: plan.maxRate,
    retries: plan.retries,
  };
  const session = await connectPairs(opts);
  const steps: ChatStep[] = [];
  ctx.raw[key] = steps;
  try {
    return await runLadder(
      rates,
      async (rate) => {
        ctx.log(`${key}: ${rate} msgs/s offered`);
        const step = await runStep(session, rate, plan.durationS, plan.warmupS);
        steps.push(step);
        return chatFigures(step);
      },
      { ...plan, search: true },
      ctx.log,
      ctx.outOfTime,
    );
  } finally {
    await session.close();
  }
}

async function mucLadder(
  target: TargetOptions,
  ctx: RunContext,
): Promise<NonNullable<TargetResult['muc']>> {
  const { plan } = ctx;
  const { session, result } = await joinRoom({
    ...target,
    occupants: plan.mucOccupants,
    firstUser: 1,
    senders: plan.mucSenders,
    room: 'bench@conference.localhost',
    joinConcurrency: 50,
    durationS: plan.durationS,
    warmupS: plan.warmupS,
    drainS: plan.drainS,
  });
  const steps: MucStep[] = [];
  ctx.raw['muc'] = { join: result, steps };
  try {
    const ladder = await runLadder(
      plan.mucRates,
      async (rate) => {
        ctx.log(`muc: ${rate} msgs/s to ${session.present} occupants`);
        const step = await runMucStep(session, rate, plan.durationS, plan.warmupS);
        steps.push(step);
        return mucFigures(step);
      },
      { ...plan, search: false },
      ctx.log,
      ctx.outOfTime,
    );
    return {
      occupants: result.occupants,
      senders: result.senders,
      joinsPerS: result.joinRate,
      ladder,
    };
  } finally {
    await session.close();
  }
}

/** Runs `body` on a fresh instance of the target; failures are recorded per scenario. */
async function onInstance(
  name: TargetName,
  spec: InstanceSpec,
  scenarios: ScenarioName[],
  ctx: RunContext,
  result: TargetResult,
  body: (
    t: RunningTarget,
    attempt: <T>(s: ScenarioName, f: () => Promise<T>) => Promise<T | undefined>,
  ) => Promise<void>,
): Promise<void> {
  const wanted = scenarios.filter((s) => ctx.plan.scenarios.includes(s));
  if (wanted.length === 0) return;
  if (ctx.outOfTime()) {
    for (const s of wanted) result.errors.push({ scenario: s, error: 'not run: out of time' });
    return;
  }
  let t: RunningTarget;
  try {
    ctx.log(
      `${name}: starting (${spec.users} users, archiving ${spec.mam ? 'on' : 'off'}) for ${wanted.join(', ')}`,
    );
    t = await startTarget(name, spec, ctx.plan, ctx.tls, ctx.cleanup, ctx.log);
  } catch (err) {
    for (const s of wanted) result.errors.push({ scenario: s, error: `start: ${errorText(err)}` });
    ctx.log(`${name}: could not start: ${errorText(err)}`);
    return;
  }
  let first = true;
  const attempt = async <T>(s: ScenarioName, f: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted.includes(s)) return undefined;
    if (ctx.outOfTime()) {
      result.errors.push({ scenario: s, error: 'not run: out of time' });
      return undefined;
    }
    if (!first) {
      // What the scenario before left behind (sessions being torn down) is not this one's.
      // 10% of a core for one process, 5% per process for a cluster (its timers and heartbeats).
      const q = await waitQuiet(
        t.processes.map((p) => p.pid),
        { maxCpuPct: Math.max(10, 5 * t.processes.length) },
      );
      ctx.log(
        `${name}: ${q.quiet ? 'quiet' : 'still busy'} after ${q.seconds} s (server CPU ${q.lastCpuPct === undefined ? 'n/a' : Math.round(q.lastCpuPct)}%)`,
      );
    }
    first = false;
    try {
      return await f();
    } catch (err) {
      result.errors.push({ scenario: s, error: errorText(err) });
      ctx.log(`${name}: ${s} failed: ${errorText(err)}`);
      return undefined;
    }
  };
  try {
    await body(t, attempt);
  } finally {
    await t.stop();
  }
}

export async function runTarget(
  name: TargetName,
  meta: TargetMeta,
  shared: Omit<RunContext, 'raw'>,
): Promise<TargetResult> {
  const ctx: RunContext = { ...shared, raw: {} };
  const { plan } = ctx;
  const t0 = performance.now();
  const result: TargetResult = { target: name, ...meta, errors: [], seconds: 0, raw: ctx.raw };
  const has = (s: ScenarioName) => plan.scenarios.includes(s);

  const users = Math.max(
    has('idle') ? plan.sessions : 0,
    has('chat') ? plan.pairs * 2 : 0,
    has('muc') ? plan.mucOccupants : 0,
  );
  await onInstance(
    name,
    { users, mam: false, muc: has('muc') },
    ['idle', 'chat', 'muc'],
    ctx,
    result,
    async (t, attempt) => {
      const plain = targetOptions(t, ctx, 'PLAIN', 'never');
      const idle = await attempt('idle', () => loginPasses(plain, plan.sessions, ctx, 'idle'));
      if (idle) result.idle = idle;
      const chat = await attempt('chat', () => chatLadder(plain, ctx, 'chat'));
      if (chat) result.chat = chat;
      const muc = await attempt('muc', () => mucLadder(plain, ctx));
      if (muc) result.muc = muc;
    },
  );
  await onInstance(
    name,
    { users: plan.tlsSessions, mam: false, muc: false },
    ['tls'],
    ctx,
    result,
    async (t, attempt) => {
      const tls = targetOptions(t, ctx, 'SCRAM-SHA-1', 'always');
      const passes = await attempt('tls', () => loginPasses(tls, plan.tlsSessions, ctx, 'tls'));
      if (passes) result.tls = passes;
    },
  );
  await onInstance(
    name,
    { users: plan.pairs * 2, mam: true, muc: false },
    ['mam'],
    ctx,
    result,
    async (t, attempt) => {
      const plain = targetOptions(t, ctx, 'PLAIN', 'never');
      const mam = await attempt('mam', () => chatLadder(plain, ctx, 'mam'));
      if (mam) result.mam = mam;
    },
  );
  result.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return result;
}
