/**
 * One-to-one chat: P pairs of connected users, each user sending `chat`
 * messages to its partner's bare JID. The total offered rate R is open-loop
 * (independent of replies) and spread evenly: a single 1 ms ticker works out
 * how many messages are due since the start and hands them round-robin to
 * the senders, so each of the 2P senders sends every 2P/R seconds. The body
 * carries a sequence number and the send time (performance.now()); the
 * receiver, in the same process, records the latency and checks the order.
 */
import type { Element } from '@parley/xml';
import { closeClients, openClients } from './bench-idle.js';
import { drain } from './drain.js';
import { openLoop } from './open-loop.js';
import type { OpenLoop } from './open-loop.js';
import { SessionCounters } from './session-counters.js';
import { measureWindow } from './window.js';
import {
  CPU_HEADERS,
  LATENCY_HEADERS,
  cpuBreakdown,
  cpuByProcessLines,
  cpuCells,
  latencyCells,
  latencyFigures,
} from './figures.js';
import type { CpuFigures, LatencyFigures, LoopDelayFigures } from './figures.js';
import type { TargetOptions } from './bench-idle.js';
import type { LoadClient } from './client.js';
import {
  errorText,
  fmt,
  fmtInt,
  formatPairs,
  formatTable,
  fromPattern,
  percentiles,
  round,
  sleep,
} from './util.js';

export interface ChatOptions extends TargetOptions {
  pairs: number;
  /** First user index (default 1); pairs use users first..first+2P-1. */
  firstUser: number;
  /** Offered messages per second, all senders together. */
  rate: number;
  /** Measured seconds per rate. */
  durationS: number;
  /** Seconds at the rate before measuring. */
  warmupS: number;
  /** After sending stops, messages still missing when none arrived for this long are lost. */
  drainS: number;
  /** find-max: stop when p99 latency exceeds this. */
  maxP99Ms: number;
  /** find-max: each step multiplies the rate by this. */
  stepFactor: number;
  /** find-max: never offer more than this. */
  maxRate: number;
  /** find-max: times a failing rate is run again before giving up (noise on a shared machine). */
  retries: number;
}

export interface ChatStep extends CpuFigures, LoopDelayFigures {
  offeredRate: number;
  /** Messages per second actually sent during the measured window. */
  sentRate: number;
  /** Messages per second received during the measured window. */
  deliveredRate: number;
  sent: number;
  received: number;
  /** Sent during this step (warm-up, window) and not received after the drain. */
  lost: number;
  /** Seconds it took to receive what was still in flight when sending stopped. */
  drainSeconds: number;
  /** Error stanzas received instead of messages. */
  errors: number;
  outOfOrder: number;
  latencyMs: LatencyFigures & { count: number };
  /** How late the most behind message was sent, ms (the generator falling behind its schedule). */
  clientSendLagMs: number;
  /** Sends that found the socket buffer full (the server not reading fast enough). */
  backpressured: number;
}

export interface FindMaxResult {
  steps: ChatStep[];
  /** Highest offered rate that met the criteria, or null. */
  maxRate: number | null;
  stopReason: string;
}

interface Peer {
  client: LoadClient;
  partner: string;
  seqOut: number;
  expectIn: number;
}

/** Connected pairs plus the receive-side bookkeeping. */
export class ChatSession extends SessionCounters {
  readonly peers: Peer[] = [];
  received = 0;

  constructor(readonly opts: ChatOptions) {
    super();
  }

  onMessage(peer: Peer, el: Element): void {
    if (el.attr('type') === 'error') {
      this.errors++;
      return;
    }
    const body = el.getChildText('body');
    if (body === undefined) return;
    const now = performance.now();
    const sp = body.indexOf(' ');
    const seq = Number(body.slice(0, sp));
    const ts = Number(body.slice(sp + 1));
    this.received++;
    if (seq !== peer.expectIn) this.outOfOrder++;
    peer.expectIn = seq + 1;
    this.recordLatency(ts, now);
  }

  /** Starts the open-loop sender at `rate` messages/s; returns a stop function and the worst backlog. */
  startSending(rate: number): OpenLoop {
    const peers = this.peers;
    let idx = 0;
    return openLoop(rate, () => {
      const p = peers[idx]!;
      idx = idx + 1 === peers.length ? 0 : idx + 1;
      if (!p.client.ready) return;
      this.countSend(
        p.client.sendMessage(p.partner, `${p.seqOut++} ${performance.now().toFixed(3)}`),
      );
    });
  }

  async close(): Promise<void> {
    await closeClients(this.peers.map((p) => p.client));
  }
}

export async function connectPairs(opts: ChatOptions): Promise<ChatSession> {
  const session = new ChatSession(opts);
  const count = opts.pairs * 2;
  opts.log(`chat: connecting ${opts.pairs} pairs (${count} connections)`);
  const peers: (Peer | undefined)[] = new Array<Peer | undefined>(count);
  const t0 = performance.now();
  const { clients, errors } = await openClients(opts, count, opts.firstUser, {
    onClose: () => session.dropped++,
  });
  if (errors.length > 0) {
    await closeClients(clients);
    throw new Error(
      `${errors.length} of ${count} connections failed, e.g. ${errorText(errors[0]!.error)}`,
    );
  }
  clients.forEach((client, i) => {
    const partnerIndex = opts.firstUser + (i % 2 === 0 ? i + 1 : i - 1);
    const peer: Peer = {
      client: client!,
      partner: fromPattern(opts.userPattern, partnerIndex),
      seqOut: 0,
      expectIn: 0,
    };
    peers[i] = peer;
  });
  for (const peer of peers as Peer[]) {
    session.peers.push(peer);
    peer.client.onMessage = (el) => session.onMessage(peer, el);
  }
  opts.log(`chat: ${count} connected in ${fmt((performance.now() - t0) / 1000, 2)} s`);
  await sleep(1000);
  return session;
}

/** Runs one rate: warm-up, measured window, drain. */
export async function runStep(
  session: ChatSession,
  rate: number,
  durationS: number,
  warmupS: number,
): Promise<ChatStep> {
  const opts = session.opts;
  const start = session.snapshot();
  const startReceived = session.received;
  session.resetWindow();
  const sender = session.startSending(rate);
  await sleep(warmupS * 1000);

  const w = await measureWindow(
    durationS,
    opts.serverProcesses,
    () => ({ sent: session.sent, received: session.received }),
    session,
  );
  sender.stop();

  // Drain: messages and error answers still in flight.
  const drainSeconds = await drain(
    () => session.received + session.errors - startReceived - start.errors,
    () => session.sent - start.sent,
    opts.drainS,
  );
  const sent = session.sent - start.sent;
  const received = session.received - startReceived;
  const errors = session.errors - start.errors;
  const p = percentiles(session.samples.sorted());
  session.samples.clear();
  return {
    offeredRate: rate,
    sentRate: round((w.end.sent - w.start.sent) / w.seconds, 1)!,
    deliveredRate: round((w.end.received - w.start.received) / w.seconds, 1)!,
    sent,
    received,
    lost: Math.max(0, sent - received - errors),
    drainSeconds: round(drainSeconds, 2)!,
    errors,
    outOfOrder: session.outOfOrder - start.outOfOrder,
    latencyMs: { count: p.count, ...latencyFigures(p) },
    ...w.cpu,
    clientSendLagMs: round(sender.maxLagMs(), 1)!,
    ...w.loopDelay,
    backpressured: session.backpressured - start.backpressured,
  };
}

/** Why a step does not count as sustained, or undefined when it does. */
export function stepVerdict(step: ChatStep, maxP99Ms: number): string | undefined {
  if (step.lost > 0) return `${step.lost} messages lost`;
  if (step.errors > 0) return `${step.errors} error replies`;
  if (step.sentRate < step.offeredRate * 0.95)
    return 'the load generator could not send at the offered rate';
  if (step.deliveredRate < step.sentRate * 0.95) return 'delivery fell behind the offered rate';
  const p99 = step.latencyMs.p99;
  if (p99 === null || p99 > maxP99Ms)
    return `p99 ${p99 === null ? 'n/a' : fmt(p99, 1)} ms > ${maxP99Ms} ms`;
  return undefined;
}

export async function runChat(opts: ChatOptions, rates: number[]): Promise<ChatStep[]> {
  const session = await connectPairs(opts);
  const steps: ChatStep[] = [];
  try {
    for (const rate of rates) {
      opts.log(
        `chat: ${fmtInt(rate)} msgs/s offered, ${opts.warmupS} s warm-up + ${opts.durationS} s measured`,
      );
      const step = await runStep(session, rate, opts.durationS, opts.warmupS);
      opts.log(`  ${stepLine(step)}`);
      steps.push(step);
    }
  } finally {
    await session.close();
  }
  return steps;
}

export async function findMax(opts: ChatOptions): Promise<FindMaxResult> {
  const session = await connectPairs(opts);
  const steps: ChatStep[] = [];
  let maxRate: number | null = null;
  let stopReason = `reached --max-rate ${opts.maxRate}`;
  try {
    for (let rate = opts.rate; rate <= opts.maxRate; rate = Math.round(rate * opts.stepFactor)) {
      let verdict: string | undefined;
      for (let attempt = 0; attempt <= opts.retries; attempt++) {
        opts.log(
          `find-max: ${fmtInt(rate)} msgs/s offered${attempt > 0 ? ` (retry ${attempt})` : ''}`,
        );
        const step = await runStep(session, rate, opts.durationS, opts.warmupS);
        steps.push(step);
        verdict = stepVerdict(step, opts.maxP99Ms);
        opts.log(`  ${stepLine(step)}${verdict ? `  <- ${verdict}` : ''}`);
        // Lost messages are not noise: no retry for them.
        if (verdict === undefined || step.lost > 0 || step.errors > 0) break;
      }
      if (verdict !== undefined) {
        stopReason = `at ${fmtInt(rate)} msgs/s: ${verdict}`;
        break;
      }
      maxRate = rate;
      if (session.dropped > 0) {
        stopReason = `${session.dropped} connections dropped`;
        break;
      }
    }
  } finally {
    await session.close();
  }
  return { steps, maxRate, stopReason };
}

function stepLine(s: ChatStep): string {
  return (
    `sent ${fmtInt(s.sentRate)}/s, delivered ${fmtInt(s.deliveredRate)}/s, ` +
    `p50 ${fmt(s.latencyMs.p50 ?? undefined, 2)} p99 ${fmt(s.latencyMs.p99 ?? undefined, 2)} ms, ` +
    `lost ${s.lost}, server CPU ${fmt(s.serverCpuPct ?? undefined, 0)}%${s.serverCpuByProcess ? ` (${cpuBreakdown(s.serverCpuByProcess)})` : ''}, ` +
    `client CPU ${fmt(s.clientCpuPct, 0)}%, other CPU ${fmt(s.otherCpuPct ?? undefined, 0)}%`
  );
}

export function formatChatSteps(title: string, steps: ChatStep[]): string {
  const header = [
    'offered/s',
    'sent/s',
    'delivered/s',
    ...LATENCY_HEADERS,
    'lost',
    'drain s',
    'errors',
    'ooo',
    ...CPU_HEADERS,
    'send lag ms',
  ];
  const rows = steps.map((s) => [
    fmtInt(s.offeredRate),
    fmtInt(s.sentRate),
    fmtInt(s.deliveredRate),
    ...latencyCells(s.latencyMs),
    String(s.lost),
    fmt(s.drainSeconds, 1),
    String(s.errors),
    String(s.outOfOrder),
    ...cpuCells(s),
    fmt(s.clientSendLagMs, 1),
  ]);
  return (
    `${title}\n${formatTable(header, rows)}` +
    cpuByProcessLines(steps, (s) => `${fmtInt(s.offeredRate).padStart(7)}/s`)
  );
}

export function formatFindMax(r: FindMaxResult, maxP99Ms: number): string {
  return (
    formatChatSteps(
      `Find max (criteria: no loss, delivered >= 95% of offered, p99 <= ${maxP99Ms} ms)`,
      r.steps,
    ) +
    '\n' +
    formatPairs([
      [
        'highest sustained offered rate',
        r.maxRate === null ? 'none' : `${fmtInt(r.maxRate)} msgs/s`,
      ],
      ['stopped', r.stopReason],
    ])
  );
}
