/**
 * Multi-user chat (XEP-0045): one room with N occupants, S of them sending
 * groupchat messages at a total offered rate R. The room reflects every
 * message to every occupant (the sender included), so each message is N
 * deliveries. Users load1..loadN join `bench@conference.<domain>` as
 * `room/load<i>` with `<x xmlns='http://jabber.org/protocol/muc'><history
 * maxstanzas='0'/></x>`; the first creates the room and, when it is locked
 * (status 201), accepts the default configuration with an empty submitted
 * form (instant room, XEP-0045 10.1.2). Senders are occupants 1..S (with a
 * cluster, spread over the gateways like every user). The sending ticker is
 * the chat benchmark's: open loop, one 1 ms timer, round-robin over the
 * senders. The body is `<sender> <seq> <performance.now()>`; every
 * occupant records the latency of each delivery and checks each sender's
 * order.
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
import { escapeXml } from './client.js';
import type { LoadClient } from './client.js';
import {
  cpuMeter,
  errorText,
  fmt,
  fmtInt,
  formatPairs,
  formatTable,
  fromPattern,
  machineCpuMeter,
  percentiles,
  round,
  runPool,
  Samples,
  selfCpuMeter,
  sleep,
} from './util.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_DATA = 'jabber:x:data';

/** A join (presence to self-presence) must finish within this. */
const JOIN_TIMEOUT_MS = 60_000;

export interface MucOptions extends TargetOptions {
  /** Occupants: users firstUser..firstUser+occupants-1. */
  occupants: number;
  firstUser: number;
  /** Occupants that send (the first `senders` ones). */
  senders: number;
  /** Room bare JID, e.g. bench@conference.localhost. */
  room: string;
  /** Joins in flight at once (after the creator's). */
  joinConcurrency: number;
  durationS: number;
  warmupS: number;
  drainS: number;
}

export interface MucStep extends CpuFigures, LoopDelayFigures {
  /** Offered groupchat messages per second, all senders together. */
  offeredRate: number;
  /** Messages per second actually sent during the measured window. */
  sentRate: number;
  /** Deliveries (one message to one occupant) per second received in the window. */
  deliveredRate: number;
  /** Deliveries per second the window's sending called for (sentRate x occupants). */
  expectedDeliveryRate: number;
  sent: number;
  /** Sent x occupants present when each was sent. */
  expectedDeliveries: number;
  deliveries: number;
  /** Expected deliveries missing after the drain. */
  lost: number;
  drainSeconds: number;
  /** Error stanzas received instead of reflections. */
  errors: number;
  /** First receipts that arrived after a later message of the same sender. */
  outOfOrder: number;
  /** Messages an occupant received more than once (extra copies). */
  duplicates: number;
  /** Occupants removed from the room during the step (unavailable self-presence). */
  removed: number;
  /**
   * Occupants that got at least one message of the window more than 1 s
   * after it was sent, and the worst five (nick: such deliveries): shows
   * whether slowness hits everyone or a subset (one partition, one gateway).
   */
  slowOccupants: number;
  slowest: string[];
  latencyMs: LatencyFigures & { count: number };
  clientSendLagMs: number;
  backpressured: number;
}

export interface MucResult {
  room: string;
  occupants: number;
  senders: number;
  /** Seconds to open the N connections (before joining). */
  connectSeconds: number;
  /** Seconds from the creator's join presence to the room being usable (unlocked). */
  createSeconds: number;
  /** Whether the room came back locked (201) and was configured as an instant room. */
  instantRoom: boolean;
  /** Seconds from the first of the other joins to the last self-presence. */
  joinSeconds: number;
  /** Joins per second over joinSeconds. */
  joinRate: number;
  /** Self-presence latency of one join, ms (p50 / p99 / max). */
  joinLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  /**
   * Presence stanzas from the room the occupants received while joining
   * (occupant lists, broadcasts, self-presences: O(N^2)), counted until
   * they stopped arriving after the last join.
   */
  joinPresences: number;
  /** N^2 - 1 when this run created the room (the creator's own self-presence is not counted); else null. */
  joinPresencesExpected: number | null;
  serverCpuJoinPct: number | null;
  clientCpuJoinPct: number;
  otherCpuJoinPct: number | null;
  steps: MucStep[];
}

interface Occupant {
  index: number;
  client: LoadClient;
  nick: string;
  joined: boolean;
  gone: boolean;
  /** Set while a join is in flight. */
  waiter: { resolve: (codes: string[]) => void; reject: (e: Error) => void } | undefined;
  /** Set while an IQ of this occupant is in flight. */
  iqWaiter: { id: string; resolve: (el: Element) => void } | undefined;
}

/** Status codes of a muc#user presence (`<status code=.../>`). */
export function statusCodes(el: Element): string[] {
  const x = el.getChild('x', NS_MUC_USER);
  if (!x) return [];
  return x
    .getChildren('status')
    .map((s) => s.attr('code'))
    .filter((c): c is string => c !== undefined);
}

/** `condition (text)` of an error stanza. */
export function stanzaErrorText(el: Element): string {
  const err = el.getChild('error');
  if (!err) return 'error without <error/>';
  const cond = err.getChildElements().find((c) => c.localName !== 'text')?.localName ?? 'unknown';
  const text = err.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas');
  return `${cond}${text ? ` (${text})` : ''}`;
}

/**
 * Parses a benchmark body `<sender> <seq> <time>`; undefined when it is not
 * one (the subject, another client's message).
 */
export function parseMucBody(
  body: string,
): { sender: number; seq: number; ts: number } | undefined {
  const a = body.indexOf(' ');
  const b = a < 0 ? -1 : body.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const sender = Number(body.slice(0, a));
  const seq = Number(body.slice(a + 1, b));
  const ts = Number(body.slice(b + 1));
  if (!Number.isInteger(sender) || !Number.isInteger(seq) || !Number.isFinite(ts)) return undefined;
  return { sender, seq, ts };
}

/**
 * Marks `seq` in bitmap `k` (grown as needed); returns true when it was
 * marked already (a duplicate).
 */
export function markSeen(bitmaps: Uint8Array[], k: number, seq: number): boolean {
  let b = bitmaps[k]!;
  const byte = seq >>> 3;
  if (byte >= b.length) {
    const next = new Uint8Array(Math.max(b.length * 2, byte + 1));
    next.set(b);
    bitmaps[k] = b = next;
  }
  const bit = 1 << (seq & 7);
  if ((b[byte]! & bit) !== 0) return true;
  b[byte] = b[byte]! | bit;
  return false;
}

/** The connected occupants plus the receive-side bookkeeping. */
export class MucSession extends SessionCounters {
  readonly occupants: Occupant[] = [];
  /** Occupants in the room (joined and not removed). */
  present = 0;
  expected = 0;
  /** First receipts of a message by an occupant. */
  deliveries = 0;
  /** The same message received again by the same occupant (not counted as deliveries). */
  duplicates = 0;
  removed = 0;
  /** Presence stanzas received by occupants. */
  presences = 0;
  /** Deliveries of window messages later than 1 s, per occupant. */
  slow: Uint32Array = new Uint32Array(0);
  /** Highest sequence number seen + 1, [occupant * senders + sender]. */
  private expectSeq: Int32Array = new Int32Array(0);
  /** Sequence numbers seen, a bitmap per [occupant * senders + sender]. */
  private seen: Uint8Array[] = [];
  private readonly seqOut: number[];
  readonly byClient = new Map<LoadClient, Occupant>();

  constructor(readonly opts: MucOptions) {
    super();
    this.seqOut = new Array<number>(opts.senders).fill(0);
  }

  init(clients: LoadClient[]): void {
    clients.forEach((client, index) => {
      const local = client.bare.slice(0, client.bare.indexOf('@'));
      const occ: Occupant = {
        index,
        client,
        nick: local,
        joined: false,
        gone: false,
        waiter: undefined,
        iqWaiter: undefined,
      };
      this.occupants.push(occ);
      this.byClient.set(client, occ);
      client.onMessage = (el) => this.onMessage(occ, el);
    });
    this.expectSeq = new Int32Array(clients.length * this.opts.senders);
    this.slow = new Uint32Array(clients.length);
    this.seen = Array.from(
      { length: clients.length * this.opts.senders },
      () => new Uint8Array(64),
    );
  }

  onMessage(occ: Occupant, el: Element): void {
    if (el.attr('type') === 'error') {
      if (el.attr('from')?.startsWith(this.opts.room) === true) this.errors++;
      return;
    }
    const body = el.getChildText('body');
    if (body === undefined) return;
    const now = performance.now();
    const m = parseMucBody(body);
    if (!m || m.sender >= this.opts.senders || m.seq < 0) return;
    const k = occ.index * this.opts.senders + m.sender;
    if (markSeen(this.seen, k, m.seq)) {
      this.duplicates++;
      return;
    }
    this.deliveries++;
    if (m.seq < this.expectSeq[k]!) this.outOfOrder++;
    else this.expectSeq[k] = m.seq + 1;
    if (this.recordLatency(m.ts, now) && now - m.ts > 1000) this.slow[occ.index]!++;
  }

  /** Presence and IQs (LoadClient onStanza). */
  onStanza(client: LoadClient, el: Element): void {
    const occ = this.byClient.get(client);
    if (!occ) return;
    if (el.name === 'iq') {
      const w = occ.iqWaiter;
      if (w && el.attr('id') === w.id) {
        occ.iqWaiter = undefined;
        w.resolve(el);
      }
      return;
    }
    if (el.name !== 'presence') return;
    const from = el.attr('from') ?? '';
    if (!from.startsWith(`${this.opts.room}/`)) return;
    this.presences++;
    const type = el.attr('type');
    const own = from === `${this.opts.room}/${occ.nick}`;
    if (!own) return;
    if (type === 'error') {
      const w = occ.waiter;
      occ.waiter = undefined;
      w?.reject(new Error(`${client.bare}: join refused: ${stanzaErrorText(el)}`));
      return;
    }
    const codes = statusCodes(el);
    if (type === 'unavailable') {
      if (occ.joined && !occ.gone) {
        occ.gone = true;
        this.present--;
        this.removed++;
        this.opts.log(
          `muc: ${occ.nick} was removed from the room (status ${codes.join(',') || 'none'})`,
        );
      }
      return;
    }
    if (type === undefined && codes.includes('110') && !occ.joined) {
      occ.joined = true;
      this.present++;
      const w = occ.waiter;
      occ.waiter = undefined;
      w?.resolve(codes);
    }
  }

  /** Sends the join presence; resolves with the self-presence's status codes. */
  join(occ: Occupant): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        occ.waiter = undefined;
        reject(new Error(`${occ.client.bare}: no self-presence within ${JOIN_TIMEOUT_MS} ms`));
      }, JOIN_TIMEOUT_MS);
      occ.waiter = {
        resolve: (codes) => {
          clearTimeout(timer);
          resolve(codes);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      occ.client.send(
        `<presence to="${escapeXml(`${this.opts.room}/${occ.nick}`)}">` +
          `<x xmlns="${NS_MUC}"><history maxstanzas="0"/></x></presence>`,
      );
    });
  }

  /** Sends an IQ and waits for its result (an error reply rejects). */
  iq(occ: Occupant, id: string, xml: string): Promise<Element> {
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        occ.iqWaiter = undefined;
        reject(new Error(`${occ.client.bare}: no answer to IQ ${id} within ${JOIN_TIMEOUT_MS} ms`));
      }, JOIN_TIMEOUT_MS);
      occ.iqWaiter = {
        id,
        resolve: (el) => {
          clearTimeout(timer);
          if (el.attr('type') === 'result') resolve(el);
          else reject(new Error(`IQ ${id} failed: ${stanzaErrorText(el)}`));
        },
      };
      occ.client.send(xml);
    });
  }

  /** Starts the open-loop sender at `rate` messages/s over the first `senders` occupants. */
  startSending(rate: number): OpenLoop {
    const senders = this.occupants.slice(0, this.opts.senders);
    const room = this.opts.room;
    let idx = 0;
    return openLoop(rate, () => {
      const k = idx;
      const occ = senders[k]!;
      idx = idx + 1 === senders.length ? 0 : idx + 1;
      if (!occ.client.ready || occ.gone) return;
      const ok = occ.client.sendMessage(
        room,
        `${k} ${this.seqOut[k]!++} ${performance.now().toFixed(3)}`,
        'groupchat',
      );
      this.countSend(ok);
      this.expected += this.present;
    });
  }

  async close(): Promise<void> {
    await closeClients(this.occupants.map((o) => o.client));
  }
}

/** Connects the occupants, creates the room (instant room when locked) and joins everyone. */
export async function joinRoom(
  opts: MucOptions,
): Promise<{ session: MucSession; result: Omit<MucResult, 'steps'> }> {
  if (opts.senders < 1 || opts.senders > opts.occupants)
    throw new Error(`--senders must be between 1 and --occupants (${opts.occupants})`);
  const session = new MucSession(opts);
  opts.log(`muc: connecting ${opts.occupants} occupants`);
  const t0 = performance.now();
  const { clients, errors } = await openClients(opts, opts.occupants, opts.firstUser, {
    onStanza: (el, client) => session.onStanza(client, el),
    onClose: () => session.dropped++,
  });
  if (errors.length > 0) {
    await closeClients(clients);
    throw new Error(
      `${errors.length} of ${opts.occupants} connections failed, e.g. ${errorText(errors[0]!.error)}`,
    );
  }
  session.init(clients as LoadClient[]);
  const connectSeconds = (performance.now() - t0) / 1000;
  opts.log(`muc: ${opts.occupants} connected in ${fmt(connectSeconds, 2)} s`);
  try {
    // The creator: join, and accept the default configuration if the room is locked.
    const owner = session.occupants[0]!;
    const c0 = performance.now();
    const codes = await session.join(owner);
    const instantRoom = codes.includes('201');
    if (instantRoom) {
      await session.iq(
        owner,
        'create1',
        `<iq type="set" id="create1" to="${escapeXml(opts.room)}">` +
          `<query xmlns="${NS_MUC_OWNER}"><x xmlns="${NS_DATA}" type="submit"/></query></iq>`,
      );
    }
    const createSeconds = (performance.now() - c0) / 1000;
    opts.log(
      `muc: ${owner.nick} ${instantRoom ? 'created the room (201) and made it an instant room' : 'entered an existing room'} in ${fmt(createSeconds * 1000, 1)} ms; ${opts.occupants - 1} more joining, ${opts.joinConcurrency} at a time`,
    );

    const serverCpu = cpuMeter(opts.serverProcesses.map((p) => p.pid));
    const clientCpu = selfCpuMeter();
    const machineCpu = machineCpuMeter();
    const presences0 = session.presences;
    const joinLatencies = new Samples();
    const j0 = performance.now();
    const step = Math.max(1, Math.floor(opts.occupants / 10));
    let done = 1;
    const { errors: joinErrors } = await runPool(
      opts.occupants - 1,
      opts.joinConcurrency,
      async (i) => {
        const t = performance.now();
        try {
          await session.join(session.occupants[i + 1]!);
          joinLatencies.push(performance.now() - t);
        } finally {
          done++;
          if (done % step === 0 || done === opts.occupants)
            opts.log(
              `  ${String(done).padStart(6)} / ${opts.occupants} joined, ${fmt((performance.now() - j0) / 1000, 2)} s`,
            );
        }
      },
    );
    const joinSeconds = (performance.now() - j0) / 1000;
    const serverCpuJoin = serverCpu();
    const clientCpuJoin = clientCpu();
    const machineCpuJoin = machineCpu();
    if (joinErrors.length > 0) {
      const first = errorText(joinErrors[0]!.error);
      throw new Error(
        `${joinErrors.length} of ${opts.occupants - 1} joins failed, e.g. ${first}` +
          (/service-unavailable/.test(first)
            ? ' (the room is full: raise muc.roomDefaults.maxUsers / muc.maxUsers)'
            : ''),
      );
    }
    const jp = percentiles(joinLatencies.sorted());
    opts.log(
      `muc: ${session.present} occupants in the room; joins took ${fmt(joinSeconds, 2)} s (${fmtInt((opts.occupants - 1) / joinSeconds)}/s)`,
    );
    // Broadcasts of the last joins may still be on their way: wait until all
    // expected presences are in or none came for 2 s (at most 30 s).
    const expectedPresences = instantRoom ? opts.occupants * opts.occupants - 1 : null;
    const settle0 = performance.now();
    let lastCount = session.presences;
    let lastChange = settle0;
    for (;;) {
      await sleep(100);
      const now = performance.now();
      if (session.presences !== lastCount) {
        lastCount = session.presences;
        lastChange = now;
      }
      const got = session.presences - presences0;
      if (expectedPresences !== null && got >= expectedPresences) break;
      if (now - lastChange > 2000 || now - settle0 > 30_000) break;
    }
    const joinPresences = session.presences - presences0;
    if (expectedPresences !== null && joinPresences !== expectedPresences)
      opts.log(
        `muc: warning: ${fmtInt(joinPresences)} presences received while joining, expected ${fmtInt(expectedPresences)}`,
      );
    await sleep(1000);
    return {
      session,
      result: {
        room: opts.room,
        occupants: opts.occupants,
        senders: opts.senders,
        connectSeconds: round(connectSeconds)!,
        createSeconds: round(createSeconds)!,
        instantRoom,
        joinSeconds: round(joinSeconds)!,
        joinRate: round(joinSeconds > 0 ? (opts.occupants - 1) / joinSeconds : 0, 1)!,
        joinLatencyMs: { p50: round(jp.p50), p99: round(jp.p99), max: round(jp.max) },
        joinPresences,
        joinPresencesExpected: expectedPresences,
        serverCpuJoinPct: round(serverCpuJoin, 1),
        clientCpuJoinPct: round(clientCpuJoin, 1)!,
        otherCpuJoinPct:
          machineCpuJoin === undefined
            ? null
            : round(Math.max(0, machineCpuJoin - clientCpuJoin - (serverCpuJoin ?? 0)), 1),
      },
    };
  } catch (err) {
    await session.close();
    throw err;
  }
}

/** One rate: warm-up, measured window, drain. */
export async function runMucStep(
  session: MucSession,
  rate: number,
  durationS: number,
  warmupS: number,
): Promise<MucStep> {
  const opts = session.opts;
  const start = {
    ...session.snapshot(),
    expected: session.expected,
    deliveries: session.deliveries,
    dup: session.duplicates,
    removed: session.removed,
  };
  session.resetWindow();
  session.slow.fill(0);
  const sender = session.startSending(rate);
  await sleep(warmupS * 1000);

  const w = await measureWindow(
    durationS,
    opts.serverProcesses,
    () => ({ sent: session.sent, expected: session.expected, deliveries: session.deliveries }),
    session,
  );
  sender.stop();

  // Drain: deliveries still in flight.
  const arrived = () => session.deliveries - start.deliveries;
  const drainSeconds = await drain(arrived, () => session.expected - start.expected, opts.drainS);
  const expected = session.expected - start.expected;
  const deliveries = arrived();
  const p = percentiles(session.samples.sorted());
  session.samples.clear();
  const slow = session.occupants
    .map((o) => ({ nick: o.nick, n: session.slow[o.index]! }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n);
  return {
    offeredRate: rate,
    sentRate: round((w.end.sent - w.start.sent) / w.seconds, 1)!,
    deliveredRate: round((w.end.deliveries - w.start.deliveries) / w.seconds, 1)!,
    expectedDeliveryRate: round((w.end.expected - w.start.expected) / w.seconds, 1)!,
    sent: session.sent - start.sent,
    expectedDeliveries: expected,
    deliveries,
    lost: Math.max(0, expected - deliveries),
    drainSeconds: round(drainSeconds, 2)!,
    errors: session.errors - start.errors,
    outOfOrder: session.outOfOrder - start.outOfOrder,
    duplicates: session.duplicates - start.dup,
    removed: session.removed - start.removed,
    slowOccupants: slow.length,
    slowest: slow.slice(0, 5).map((x) => `${x.nick}: ${x.n}`),
    latencyMs: { count: p.count, ...latencyFigures(p) },
    ...w.cpu,
    clientSendLagMs: round(sender.maxLagMs(), 1)!,
    ...w.loopDelay,
    backpressured: session.backpressured - start.backpressured,
  };
}

export async function runMuc(opts: MucOptions, rates: number[]): Promise<MucResult> {
  const { session, result } = await joinRoom(opts);
  const steps: MucStep[] = [];
  try {
    for (const rate of rates) {
      opts.log(
        `muc: ${fmtInt(rate)} msgs/s offered (${fmtInt(rate * session.present)} deliveries/s), ${opts.warmupS} s warm-up + ${opts.durationS} s measured`,
      );
      const step = await runMucStep(session, rate, opts.durationS, opts.warmupS);
      opts.log(`  ${stepLine(step)}`);
      steps.push(step);
    }
  } finally {
    opts.log(`muc: closing ${session.occupants.length} connections`);
    await session.close();
  }
  return { ...result, steps };
}

function stepLine(s: MucStep): string {
  return (
    `sent ${fmt(s.sentRate, 1)}/s, delivered ${fmtInt(s.deliveredRate)}/s, ` +
    `p50 ${fmt(s.latencyMs.p50 ?? undefined, 2)} p99 ${fmt(s.latencyMs.p99 ?? undefined, 2)} ms, ` +
    `lost ${s.lost}, errors ${s.errors}, ooo ${s.outOfOrder}, dup ${s.duplicates}, server CPU ${fmt(s.serverCpuPct ?? undefined, 0)}%` +
    (s.serverCpuByProcess ? ` (${cpuBreakdown(s.serverCpuByProcess)})` : '') +
    `, client CPU ${fmt(s.clientCpuPct, 0)}%, other CPU ${fmt(s.otherCpuPct ?? undefined, 0)}%` +
    (s.slowOccupants > 0
      ? `; ${s.slowOccupants} occupants had deliveries > 1 s (worst: ${s.slowest.join(', ')})`
      : '')
  );
}

export function formatMuc(r: MucResult): string {
  const pct = (p: number | null) => (p === null ? 'n/a' : `${fmt(p, 0)}%`);
  const head = formatPairs([
    ['room', `${r.room}, ${fmtInt(r.occupants)} occupants, ${r.senders} senders`],
    ['connect time', `${fmt(r.connectSeconds, 2)} s (${fmtInt(r.occupants)} connections)`],
    [
      'room creation',
      `${fmt(r.createSeconds * 1000, 1)} ms (${r.instantRoom ? 'locked, 201: instant room by an empty submitted form' : 'room existed'})`,
    ],
    [
      'join time',
      `${fmt(r.joinSeconds, 2)} s for ${fmtInt(r.occupants - 1)} joins (${fmtInt(r.joinRate)}/s); one join p50 ${fmt(r.joinLatencyMs.p50 ?? undefined, 1)} ms, p99 ${fmt(r.joinLatencyMs.p99 ?? undefined, 1)} ms, max ${fmt(r.joinLatencyMs.max ?? undefined, 1)} ms`,
    ],
    [
      'presences while joining',
      `${fmtInt(r.joinPresences)}${r.joinPresencesExpected !== null ? ` of ${fmtInt(r.joinPresencesExpected)} expected (N^2 - 1)` : ''}`,
    ],
    [
      'CPU while joining',
      `server ${pct(r.serverCpuJoinPct)}, load client ${pct(r.clientCpuJoinPct)}, other processes ${pct(r.otherCpuJoinPct)} (% of one core)`,
    ],
  ]);
  const header = [
    'msgs/s',
    'sent/s',
    'deliv./s',
    'expected/s',
    ...LATENCY_HEADERS,
    'lost',
    'drain s',
    'errors',
    'ooo',
    'dup',
    'removed',
    ...CPU_HEADERS,
    'send lag ms',
  ];
  const rows = r.steps.map((s) => [
    fmtInt(s.offeredRate),
    fmt(s.sentRate, 1),
    fmtInt(s.deliveredRate),
    fmtInt(s.expectedDeliveryRate),
    ...latencyCells(s.latencyMs),
    fmtInt(s.lost),
    fmt(s.drainSeconds, 1),
    String(s.errors),
    String(s.outOfOrder),
    String(s.duplicates),
    String(s.removed),
    ...cpuCells(s),
    fmt(s.clientSendLagMs, 1),
  ]);
  let out =
    `MUC: one room, ${fmtInt(r.occupants)} occupants, ${r.senders} senders, groupchat fan-out to every occupant\n` +
    head +
    '\n\n' +
    formatTable(header, rows) +
    "\n  latency: send to each occupant's receipt (every delivery of the messages sent in the window)";
  if (r.steps.some((s) => s.slowOccupants > 0)) {
    out +=
      '\n  occupants with deliveries > 1 s (worst five, nick: deliveries > 1 s):\n' +
      r.steps
        .map(
          (s) =>
            `    ${fmtInt(s.offeredRate).padStart(7)}/s: ${s.slowOccupants}${s.slowest.length > 0 ? ` (${s.slowest.join(', ')})` : ''}`,
        )
        .join('\n');
  }
  return out + cpuByProcessLines(r.steps, (s) => `${fmtInt(s.offeredRate).padStart(7)}/s`);
}

/** The default room: bench@conference.<domain of the user pattern>. */
export function defaultRoom(userPattern: string): string {
  const at = userPattern.indexOf('@');
  const domain = at >= 0 ? userPattern.slice(at + 1).split('/')[0]! : 'localhost';
  return `bench@conference.${fromPattern(domain, 1)}`;
}
