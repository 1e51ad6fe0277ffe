import type { BusPayload, DurableHandler, OrderedConsumer } from '../bus.js';
import { decodePayload, encodePayload } from './codec.js';
import type { BusLogger } from './logger.js';
import { HandlerScope, runInScope } from './onward.js';
import { REPLY_TO_HEADER, durableMessage } from './ordered-consumer.js';
import { subjectMatcher } from '../subject.js';

export interface DirectConsumerDeps {
  /** Core NATS subscription (no queue group) to the consumer's filter. */
  subscribe(subject: string, onMsg: (msg: DirectMsg) => void): { unsubscribe(): void };
  logger: BusLogger;
  onError(err: unknown, subject: string): void;
  /** Core publish of the reply to a durable request. */
  send(subject: string, data: Uint8Array): void;
  /**
   * Core publish of a confirmation (`data` non-empty: a NAK) to a sender's
   * inbox, after every publish made before it; `now`: written at once with
   * them, not at the end of the event-loop turn.
   */
  confirm(subject: string, data: Uint8Array, now: boolean): void;
}

/** What this consumer knows of one sender's stream (see DirectSender). */
interface StreamState {
  /** Next sequence number accepted into the queue. */
  nextAccept: number;
  /** Every message up to here has been handled. */
  handledUpTo: number;
  /**
   * The handled messages from the oldest one whose onward messages are not
   * all confirmed yet, through handledUpTo (consecutive): the confirmable
   * prefix ends just before the first. Empty: everything handled is confirmable.
   */
  blocked: Blocked[];
  /** Index of the first of `blocked` (the ones before it are gone). */
  bhead: number;
  /** Messages beyond the confirmable prefix that are done, to confirm one by one. */
  selective: number[];
  /** The confirmable prefix was confirmed up to here. */
  confirmed: number;
  /** Reported handled (not done) up to here. */
  handledSent: number;
  nak: boolean;
  lastSeen: number;
}

/** A handled message beyond the confirmable prefix. */
interface Blocked {
  readonly seq: number;
  /** Its onward messages are all confirmed (or there were none). */
  done: boolean;
}

/** Every message up to here may be confirmed: handled, and its onward messages confirmed. */
function confirmable(st: StreamState): number {
  const first = st.blocked[st.bhead];
  return first === undefined ? st.handledUpTo : first.seq - 1;
}

function newStream(lo: number, now: number): StreamState {
  return {
    nextAccept: lo,
    handledUpTo: lo - 1,
    blocked: [],
    bhead: 0,
    selective: [],
    confirmed: lo - 1,
    handledSent: lo - 1,
    nak: false,
    lastSeen: now,
  };
}

/** What the consumer reads of a message: a NATS Msg, or one handed over in-process. */
export interface DirectMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply?: string | undefined;
  readonly headers?: { get(key: string): string } | undefined;
}

interface Queued {
  readonly msg: DirectMsg;
  readonly stream: StreamState | undefined;
  readonly key: string;
  readonly seq: number;
  readonly attempt: number;
}

const EMPTY = new Uint8Array(0);
const NAK = new Uint8Array([0x72]); // "r": send again after the confirmed part
const FORGET_AFTER_MS = 10 * 60_000;
const CONFIRM_DELAY_MS = 10;
const CONFIRM_EVERY = 256;

/**
 * The receiving half of the direct durable transport: a core NATS
 * subscription on `filter` whose messages are handled strictly one after
 * another, in the order each sender sent them, and confirmed to their sender
 * cumulatively once handled (see DirectSender).
 *
 * Per sender stream it accepts exactly the next sequence number. A message
 * already accepted is a duplicate (confirmed again if already handled); a
 * message beyond the next one means one was lost on the way: it is dropped and
 * the sender is asked to send again (NAK), so nothing is handled out of order.
 * A stream seen for the first time starts at the sender's oldest unconfirmed
 * message, which the sender names in every message: after a failover the new
 * consumer starts exactly where the old one stopped confirming.
 *
 * Confirmations of handlers that finish in one event-loop turn go out
 * together, after anything those handlers published on the same connection:
 * if this process dies, a confirmation never arrives without the messages
 * its handler sent on.
 */
export class DirectOrderedConsumer implements OrderedConsumer {
  /** Resolves at once: the subscription starts when the previous consumer of the name has finished. */
  readonly started = Promise.resolve();
  readonly finished: Promise<void>;
  /** Resolves once the consumer is subscribed (and `active`), unless stopped before. */
  readonly subscribed: Promise<void>;
  private finish!: () => void;
  private sub: { unsubscribe(): void } | undefined;
  /** Whether a subject is one this consumer reads (its filter matches). */
  readonly reads: (subject: string) => boolean;
  /** Streams of messages that arrived after stop(): asked to send again once stopped. */
  private readonly late = new Map<string, StreamState>();
  private stopped = false;
  private readonly streams = new Map<string, StreamState>();
  private queue: Queued[] = [];
  private qhead = 0;
  private running = false;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly dirty = new Map<string, StreamState>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushSoon = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly filter: string,
    readonly name: string,
    private readonly handler: DurableHandler,
    private readonly deps: DirectConsumerDeps,
    previous: Promise<void> | undefined,
  ) {
    this.finished = new Promise((r) => (this.finish = r));
    this.reads = subjectMatcher(filter);
    this.subscribed = (previous ?? Promise.resolve()).then(() => {
      if (this.stopping) return;
      this.sub = deps.subscribe(filter, (msg) => this.onMessage(msg));
      this.sweepTimer = setInterval(() => this.sweep(), FORGET_AFTER_MS / 2);
      this.sweepTimer.unref();
    });
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  /** The NATS client subscribes again by itself; senders resend what was lost meanwhile. */
  onReconnect(): void {}

  idle(): Promise<void> {
    if (!this.running && this.qhead >= this.queue.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    await this.subscribed.catch(() => {});
    try {
      this.sub?.unsubscribe();
    } catch {
      // connection already closed
    }
    clearInterval(this.sweepTimer);
    // Whatever waits unhandled is left to its senders: a NAK has them send it
    // again at once, to the next consumer as soon as there is one. The NAK
    // goes only after the handler in flight is done and confirmed, or the
    // resend would include that message and the next consumer handle it again.
    const dropped = new Map<string, StreamState>();
    for (let i = this.qhead; i < this.queue.length; i++) {
      const q = this.queue[i]!;
      if (q.stream !== undefined) dropped.set(q.key, q.stream);
    }
    this.queue = [];
    this.qhead = 0;
    if (this.running) await this.idle();
    for (const [key, st] of [...dropped, ...this.late]) {
      st.nak = true;
      this.dirty.set(key, st);
    }
    this.late.clear();
    this.stopped = true;
    this.flushConfirms();
    this.finish();
  }

  /** Subscribed and not stopping: may take messages handed over in-process. */
  get active(): boolean {
    return this.sub !== undefined && !this.stopping;
  }

  /**
   * A message from a sender in this process, for a subject this consumer
   * reads: the same protocol as over NATS, without the trip (a microtask
   * later, so a publisher is never re-entered by the handler).
   */
  deliverLocal(msg: DirectMsg): void {
    queueMicrotask(() => this.onMessage(msg));
  }

  private onMessage(msg: DirectMsg): void {
    const reply = msg.reply;
    const parsed = reply === undefined || reply === '' ? undefined : parseReply(reply);
    if (this.stopping) {
      if (parsed !== undefined) this.arrivedLate(parsed.key, parsed.seq, parsed.lo);
      return;
    }
    if (parsed === undefined) {
      // A plain publish: handled in order, nobody to confirm to.
      this.enqueue({ msg, stream: undefined, key: '', seq: 0, attempt: 1 });
      return;
    }
    const { key, seq, lo, attempt } = parsed;
    const now = Date.now();
    let st = this.streams.get(key);
    if (st === undefined) {
      st = newStream(lo, now);
      this.streams.set(key, st);
    } else if (lo > st.nextAccept) {
      // The sender had everything before `lo` confirmed elsewhere (an earlier owner).
      st.nextAccept = lo;
      st.handledUpTo = Math.max(st.handledUpTo, lo - 1);
      st.blocked = st.blocked.slice(st.bhead).filter((b) => b.seq >= lo);
      st.bhead = 0;
      unblock(st);
    }
    st.lastSeen = now;
    if (seq < st.nextAccept) {
      // A duplicate: confirm again if it is done, otherwise the confirmation is coming.
      if (seq <= confirmable(st)) {
        st.confirmed = Math.min(st.confirmed, seq - 1);
        this.markDirty(key, st, true);
      } else if (seq <= st.handledUpTo) {
        const b = st.blocked[st.bhead + seq - st.blocked[st.bhead]!.seq];
        if (b?.seq === seq && b.done) st.selective.push(seq);
        else st.handledSent = Math.min(st.handledSent, seq - 1);
        this.markDirty(key, st, true);
      }
      return;
    }
    if (seq > st.nextAccept) {
      st.nak = true;
      this.markDirty(key, st, true);
      return;
    }
    st.nextAccept++;
    this.enqueue({ msg, stream: st, key, seq, attempt });
  }

  /**
   * A message that arrived after stop() (still in flight from NATS, or handed
   * over in-process just before): not handled here, so its sender is asked
   * to send it again, to the next consumer, once this one has stopped,
   * instead of waiting for its confirmation timeout.
   */
  private arrivedLate(key: string, seq: number, lo: number): void {
    let st = this.streams.get(key);
    if (st === undefined) {
      st = newStream(lo, 0);
      this.streams.set(key, st);
    }
    if (seq < st.nextAccept) return; // accepted before the stop: handled, or asked for again
    if (!this.stopped) {
      this.late.set(key, st);
      return;
    }
    st.nak = true;
    this.markDirty(key, st, true);
  }

  private enqueue(q: Queued): void {
    this.queue.push(q);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.qhead < this.queue.length) {
        const q = this.queue[this.qhead]!;
        this.queue[this.qhead++] = undefined as unknown as Queued;
        if (this.qhead > 1024 && this.qhead * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.qhead);
          this.qhead = 0;
        }
        const st = q.stream;
        let waiting: Blocked | undefined;
        const scope = new HandlerScope(() => {
          if (st !== undefined && waiting !== undefined) this.onwardConfirmed(q.key, st, waiting);
        });
        await this.handle(q, scope);
        const done = scope.finish();
        if (st !== undefined) {
          const prefix = confirmable(st);
          st.handledUpTo = Math.max(st.handledUpTo, q.seq);
          if (q.seq > prefix && (!done || st.bhead < st.blocked.length)) {
            // Behind a message still waiting, or waiting itself: confirmed one by
            // one when done, so that no wait depends on a later message.
            waiting = { seq: q.seq, done };
            st.blocked.push(waiting);
            if (done) st.selective.push(q.seq);
          }
          this.markDirty(q.key, st);
        }
      }
    } finally {
      this.running = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Everything a handled message's handler published on has been confirmed. */
  private onwardConfirmed(key: string, st: StreamState, b: Blocked): void {
    b.done = true;
    if (b.seq <= confirmable(st)) return; // confirmed by an earlier owner meanwhile
    if (st.blocked[st.bhead] === b) unblock(st);
    else st.selective.push(b.seq);
    this.markDirty(key, st);
  }

  private async handle(q: Queued, scope: HandlerScope): Promise<void> {
    const m = q.msg;
    let data: BusPayload;
    try {
      data = decodePayload(m.data);
    } catch (err) {
      this.deps.onError(err, m.subject);
      return;
    }
    const msg = durableMessage(
      m.subject,
      data,
      q.attempt,
      m.headers?.get(REPLY_TO_HEADER),
      (to, answer) => this.deps.send(to, encodePayload(answer)),
    );
    try {
      await runInScope(scope, () => this.handler(msg));
    } catch (err) {
      this.deps.onError(err, m.subject);
    }
  }

  /**
   * Confirmations wait {@link CONFIRM_DELAY_MS} so that one covers many
   * messages (a confirmation costs the sender, NATS and this process as much
   * as a message); a NAK or a repeated confirmation goes in the next turn.
   * A stream with {@link CONFIRM_EVERY} handled messages unconfirmed is
   * confirmed at once, even in the middle of a burst handled within one
   * turn: that bounds what a crash makes its senders send again. Either way
   * they leave after every publish the handlers made before.
   */
  private markDirty(key: string, st: StreamState, urgent = false): void {
    this.dirty.set(key, st);
    if (
      !urgent &&
      (confirmable(st) - st.confirmed >= CONFIRM_EVERY ||
        st.selective.length >= CONFIRM_EVERY ||
        st.handledUpTo - Math.max(st.confirmed, st.handledSent) >= CONFIRM_EVERY)
    ) {
      this.flushConfirms(true);
      return;
    }
    if (urgent) {
      if (this.flushSoon) return;
      this.flushSoon = true;
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      setImmediate(() => this.flushConfirms());
      return;
    }
    if (this.flushSoon || this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => this.flushConfirms(), CONFIRM_DELAY_MS);
  }

  private flushConfirms(now = false): void {
    this.flushSoon = false;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [key, st] of this.dirty) {
      const upTo = confirmable(st);
      if (upTo > st.confirmed || st.nak) {
        this.deps.confirm(`${key}.${upTo}`, st.nak ? NAK : EMPTY, now);
        st.confirmed = upTo;
        st.nak = false;
      }
      if (st.handledUpTo > upTo && st.handledUpTo > st.handledSent) {
        // Handled, not all done: the publishes resolve, the messages stay with their sender.
        this.deps.confirm(`${key}.${upTo}.h`, encodeText(String(st.handledUpTo)), now);
        st.handledSent = st.handledUpTo;
      }
      if (st.selective.length > 0) {
        const seqs = st.selective.filter((s) => s > upTo);
        st.selective = [];
        if (seqs.length > 0) this.deps.confirm(`${key}.${upTo}.s`, encodeSeqs(seqs), now);
      }
    }
    this.dirty.clear();
  }

  private sweep(): void {
    const cutoff = Date.now() - FORGET_AFTER_MS;
    for (const [key, st] of this.streams) {
      if (
        st.lastSeen < cutoff &&
        st.handledUpTo + 1 >= st.nextAccept &&
        st.bhead >= st.blocked.length
      ) {
        this.streams.delete(key);
      }
    }
  }
}

/** The confirmable prefix moves past the leading messages that are done. */
function unblock(st: StreamState): void {
  while (st.bhead < st.blocked.length && st.blocked[st.bhead]!.done) {
    st.blocked[st.bhead++] = undefined as unknown as Blocked;
  }
  if (st.bhead === st.blocked.length) {
    st.blocked = [];
    st.bhead = 0;
  } else if (st.bhead > 1024 && st.bhead * 2 > st.blocked.length) {
    st.blocked = st.blocked.slice(st.bhead);
    st.bhead = 0;
  }
}

/** Sequence numbers as ranges: `5-9,12` (see DirectSender.confirmSome). */
export function encodeSeqs(seqs: number[]): Uint8Array {
  seqs.sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < seqs.length;) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1]! <= seqs[j]! + 1) j++;
    parts.push(seqs[i] === seqs[j] ? `${seqs[i]}` : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return encodeText(parts.join(','));
}

const encoder = new TextEncoder();
function encodeText(s: string): Uint8Array {
  return encoder.encode(s);
}

/** `<inbox>.<scope>.<seq>.<lo>.<attempt>` → stream key `<inbox>.<scope>`, seq, lo, attempt. */
function parseReply(
  reply: string,
): { key: string; seq: number; lo: number; attempt: number } | undefined {
  const c = reply.lastIndexOf('.');
  const b = c > 0 ? reply.lastIndexOf('.', c - 1) : -1;
  const a = b > 0 ? reply.lastIndexOf('.', b - 1) : -1;
  if (a <= 0) return undefined;
  const seq = Number(reply.slice(a + 1, b));
  const lo = Number(reply.slice(b + 1, c));
  const attempt = Number(reply.slice(c + 1));
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(lo) || seq < 1 || lo < 1 || lo > seq) {
    return undefined;
  }
  return { key: reply.slice(0, a), seq, lo, attempt: Number.isSafeInteger(attempt) ? attempt : 1 };
}
