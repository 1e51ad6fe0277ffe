import { createInbox, headers as natsHeaders } from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { BusError } from '../bus.js';
import { decodePayload } from './codec.js';
import type { BusLogger } from './logger.js';

/** A JetStream refusal of one message (too large, no space, ...): not retried. */
export class DurablePublishError extends Error {
  override name = 'DurablePublishError';
  constructor(
    message: string,
    readonly errCode: number,
  ) {
    super(message);
  }
}

interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

/** JetStream error codes that mean "try again later" (besides any 503). */
const RETRIABLE_ERR_CODES = new Set([10008, 10059, 10076, 10039]);

export interface DurablePublisherOptions {
  /** Publishes awaiting their PubAck at once (pipelining window). */
  window: number;
  /** Wait for one PubAck before the attempt counts as failed. */
  ackTimeoutMs: number;
  /** How long a message is retried before its promise rejects with `timeout`. */
  retryBudgetMs: number;
  /**
   * Most messages to one subject carried by one JetStream message (default
   * 32; 1 turns batching off). Messages published in the same turn of the
   * event loop to the same subject travel together, so under load the cost
   * per message in nats-server (store, PubAck, delivery, ack) shrinks.
   */
  maxBatch?: number;
  /** Largest batch body in bytes (default 256 KiB). */
  maxBatchBytes?: number;
  /**
   * Which subjects one consumer reads in one order (e.g. a partition's
   * subjects -> the partition): queued messages with the same key travel
   * together even when other messages were published between them. Without
   * it only consecutive messages to one subject are batched, which keeps
   * the order of every publish for any consumer filter.
   */
  batchKey?: (subject: string) => string;
}

export interface DurablePublisherDeps {
  nc: NatsConnection;
  /** Whether the connection is up right now (publishing while down only loses the message). */
  isConnected(): boolean;
  logger: BusLogger;
  /** Called once when a run of failures starts (e.g. to re-check the stream). */
  onTrouble(err: unknown): void;
}

type State = 'queued' | 'inflight' | 'done';

interface Entry {
  readonly pos: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
  readonly deadline: number;
  /** When the current attempt was sent (for the ack timeout). */
  sentAt: number;
  state: State;
  /** Bumped on every send and when an in-flight send is abandoned; stale results are ignored. */
  attempt: number;
  resolve(): void;
  reject(err: unknown): void;
  /**
   * Set on the first message of a batch: every message the batch carries,
   * itself first. Fixed at the first send, so a retry re-sends exactly the
   * same bytes under the same Nats-Msg-Id.
   */
  batch?: Entry[];
  /** The batch body (a JSON array of the members' payloads). */
  body?: Uint8Array;
  /** Set on the other members of a batch: the message that carries them. */
  leader?: Entry;
}

/**
 * Header naming how many messages a batched JetStream message carries. Its
 * body is a JSON array of [subject, payload] pairs in publish order.
 */
export const BATCH_HEADER = 'Parley-Batch';

const encoder = new TextEncoder();

/** `["<subject>",<payload>]` as UTF-8 JSON (the payload is already JSON). */
function pairOf(e: Entry): Uint8Array {
  const head = encoder.encode(`[${JSON.stringify(e.subject)},`);
  const out = new Uint8Array(head.length + e.data.length + 1);
  out.set(head, 0);
  out.set(e.data, head.length);
  out[out.length - 1] = 0x5d;
  return out;
}

/** Queued messages examined for one batch. */
const LOOKAHEAD = 256;

const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const MAX_BACKOFF_MS = 2000;

/**
 * Ordered, pipelined, retrying JetStream publisher.
 *
 * Publishes go out in call order on one connection, up to `window` of them
 * awaiting their PubAck at once, so throughput does not depend on the round
 * trip. Every message carries a unique `Nats-Msg-Id`: a retry of a message
 * the server already stored is recognised as a duplicate (the stream's
 * duplicate window is longer than the retry budget) and acknowledged again,
 * never stored twice.
 *
 * The JetStream publish protocol is spoken directly (a publish with a reply
 * subject, the PubAck or error as the reply, a 503 status when no stream
 * listens) over one reply subscription and one timeout sweep, rather than a
 * request object and a timer per message.
 *
 * On a retriable failure (timeout, no responders while JetStream starts, a
 * dropped connection) the publisher stops sending, lets the in-flight
 * publishes settle, then re-sends from the oldest unacknowledged message,
 * one at a time with backoff until one succeeds, then opens the window
 * again. While the connection is down nothing is sent (the client would
 * discard it), so messages cannot overtake each other across a reconnect.
 * The one case that can reorder two messages is JetStream rejecting one and
 * accepting the next within the same window (a stream leader change in a
 * cluster); it is logged as a warning.
 */
export class DurablePublisher {
  private entries: Entry[] = [];
  private head = 0;
  private cursor = 0;
  private inflight = 0;
  private pos = 0;
  private probing = false;
  private blocked = false;
  private backoffStep = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly idPrefix: string;
  private drainWaiters: Array<() => void> = [];
  private pumpScheduled = false;
  private readonly inflightByPos = new Map<number, Entry>();
  private readonly inbox: string;
  private readonly replies: Subscription;

  constructor(
    private readonly deps: DurablePublisherDeps,
    private readonly opts: DurablePublisherOptions,
    idPrefix: string,
  ) {
    this.idPrefix = idPrefix;
    this.inbox = createInbox();
    this.replies = deps.nc.subscribe(`${this.inbox}.*.*`, {
      callback: (err, msg) => {
        if (err === null) this.onReply(msg);
      },
    });
  }

  /** Messages not yet acknowledged (queued, in flight or waiting for a retry). */
  get pending(): number {
    return this.entries.length - this.head;
  }

  /** `extraHeaders` are sent with the message (e.g. the reply subject of a durable request). */
  publish(
    subject: string,
    data: Uint8Array,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pos = ++this.pos;
      const headers = natsHeaders();
      headers.set('Nats-Msg-Id', `${this.idPrefix}.${pos}`);
      if (extraHeaders !== undefined) {
        for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
      }
      this.entries.push({
        pos,
        subject,
        data,
        headers,
        deadline: Date.now() + this.opts.retryBudgetMs,
        sentAt: 0,
        state: 'queued',
        attempt: 0,
        resolve,
        reject,
      });
      this.startSweep();
      // Sent after this turn of the event loop, with whatever else is
      // published to the same subject in the meantime.
      this.schedulePump();
    });
  }

  /** The connection dropped: every in-flight publish is presumed lost and will be re-sent. */
  onDisconnect(): void {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.state !== 'inflight') continue;
      e.attempt++;
      e.state = 'queued';
    }
    this.inflightByPos.clear();
    this.inflight = 0;
    this.cursor = this.head;
    // After the reconnect, probe with one message before opening the window:
    // JetStream may still be restoring its streams.
    this.probing = true;
  }

  onReconnect(): void {
    this.pump();
  }

  /** Resolves when nothing is pending, or after `ms`; then rejects what is left with `closed`. */
  async close(ms: number): Promise<void> {
    if (this.pending > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    this.retryTimer = undefined;
    this.sweepTimer = undefined;
    this.replies.unsubscribe();
    this.inflightByPos.clear();
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.state === 'done') continue;
      e.state = 'done';
      e.attempt++;
      e.reject(new BusError('closed', 'bus closed before the durable publish was acknowledged'));
    }
    this.entries = [];
    this.head = this.cursor = this.inflight = 0;
  }

  private pump(): void {
    if (this.blocked || this.retryTimer !== undefined) return;
    if (!this.deps.isConnected()) return;
    const window = this.probing ? 1 : this.opts.window;
    const now = Date.now();
    while (this.inflight < window && this.cursor < this.entries.length) {
      const e = this.entries[this.cursor]!;
      if (e.state !== 'queued' || e.leader !== undefined) {
        this.cursor++;
        continue;
      }
      this.cursor++;
      if (now > e.deadline) this.expire(e);
      else {
        if (e.attempt === 0 && e.batch === undefined) this.gather(e);
        this.send(e);
      }
    }
    this.advanceHead();
    this.compact();
  }

  /** A message may share a JetStream message when it has a payload and no headers of its own. */
  private batchable(e: Entry): boolean {
    return e.data.length > 0 && [...e.headers.keys()].length === 1;
  }

  /**
   * Makes `e` the carrier of the queued messages after it to the same
   * subject (each subject keeps its order; different subjects never had one
   * between them).
   */
  private gather(e: Entry): void {
    const max = this.opts.maxBatch ?? 32;
    const maxBytes = this.opts.maxBatchBytes ?? 256 * 1024;
    if (max <= 1 || !this.batchable(e)) return;
    const keyOf = this.opts.batchKey;
    const key = keyOf?.(e.subject);
    const members = [e];
    const parts: Uint8Array[] = [pairOf(e)];
    let bytes = parts[0]!.length + 2;
    // Look a bounded way ahead: a long queue must not make every send a scan of it.
    const end = Math.min(this.entries.length, this.cursor + LOOKAHEAD);
    for (let i = this.cursor; i < end && members.length < max; i++) {
      const o = this.entries[i]!;
      const related = keyOf === undefined ? o.subject === e.subject : keyOf(o.subject) === key;
      if (!related) {
        if (keyOf === undefined) break; // only consecutive messages without a key
        continue;
      }
      // Anything related that cannot join ends the batch: it must not be overtaken.
      if (o.state !== 'queued' || o.attempt !== 0 || o.batch !== undefined) break;
      if (o.leader !== undefined || !this.batchable(o)) break;
      const part = pairOf(o);
      if (bytes + part.length + 1 > maxBytes) break;
      bytes += part.length + 1;
      members.push(o);
      parts.push(part);
    }
    if (members.length === 1) return;
    const body = new Uint8Array(bytes);
    body[0] = OPEN_BRACKET;
    let at = 1;
    for (const [i, part] of parts.entries()) {
      if (i > 0) body[at++] = COMMA;
      body.set(part, at);
      at += part.length;
    }
    body[at] = CLOSE_BRACKET;
    for (const m of members) if (m !== e) m.leader = e;
    e.batch = members;
    e.body = body;
    e.headers.set(BATCH_HEADER, String(members.length));
  }

  /** Sets the state of a message and of the messages it carries. */
  private setState(e: Entry, state: State): void {
    e.state = state;
    if (e.batch !== undefined) for (const m of e.batch) m.state = state;
  }

  private send(e: Entry): void {
    this.setState(e, 'inflight');
    const attempt = ++e.attempt;
    e.sentAt = Date.now();
    this.inflight++;
    this.inflightByPos.set(e.pos, e);
    try {
      this.deps.nc.publish(e.subject, e.body ?? e.data, {
        reply: `${this.inbox}.${e.pos}.${attempt}`,
        headers: e.headers,
      });
    } catch (err) {
      // Too large for the server, or the connection just closed.
      this.settle(e, () => this.failed(e, err, false));
    }
  }

  private onReply(msg: Msg): void {
    const tokens = msg.subject.slice(this.inbox.length + 1).split('.');
    const e = this.inflightByPos.get(Number(tokens[0]));
    if (e === undefined || e.state !== 'inflight' || e.attempt !== Number(tokens[1])) return;
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      // No responders: no stream captures the subject right now (JetStream starting).
      this.settle(e, () => this.failed(e, new Error('no responders (JetStream not ready)'), true));
      return;
    }
    let ack: PubAckReply | undefined;
    try {
      ack = decodePayload(msg.data) as PubAckReply | undefined;
    } catch {
      ack = undefined;
    }
    if (ack === null || typeof ack !== 'object') {
      const err = new Error(
        `unexpected PubAck for ${e.subject} (status ${msg.headers?.code ?? '-'})`,
      );
      this.settle(e, () => this.failed(e, err, true));
      return;
    }
    const apiErr = ack.error;
    if (apiErr !== undefined) {
      const code = apiErr.err_code ?? 0;
      const retriable = apiErr.code === 503 || RETRIABLE_ERR_CODES.has(code);
      const err = new DurablePublishError(
        `JetStream rejected the message to ${e.subject}: ${apiErr.description ?? 'unknown error'}`,
        code,
      );
      this.settle(e, () => this.failed(e, err, retriable));
      return;
    }
    this.settle(e, () => this.succeeded(e));
  }

  private settle(e: Entry, then: () => void): void {
    this.inflightByPos.delete(e.pos);
    this.inflight--;
    then();
  }

  private succeeded(e: Entry): void {
    this.setState(e, 'done');
    if (this.hasOlderFailure(e)) {
      this.deps.logger.warn('durable publish stored ahead of an earlier message that failed', {
        subject: e.subject,
      });
    }
    if (this.probing && !this.blocked) {
      // The probe (always the oldest unacknowledged message) went through: back to full speed.
      this.probing = false;
      this.backoffStep = 0;
    }
    if (e.batch !== undefined) for (const m of e.batch) m.resolve();
    else e.resolve();
    this.advanceHead();
    if (this.blocked) this.maybeScheduleRetry();
    else this.schedulePump();
  }

  /**
   * Refills the window after the PubAcks read in this turn of the event loop,
   * so one socket write carries many publishes instead of one per PubAck.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private failed(e: Entry, err: unknown, retriable: boolean): void {
    if (!retriable) {
      this.setState(e, 'done');
      if (e.batch !== undefined) for (const m of e.batch) m.reject(err);
      else e.reject(err);
      this.advanceHead();
      if (this.blocked) this.maybeScheduleRetry();
      else this.schedulePump();
      return;
    }
    this.setState(e, 'queued');
    this.cursor = this.head;
    if (!this.blocked) {
      this.blocked = true;
      this.probing = true;
      if (this.backoffStep === 0) {
        this.deps.logger.warn('durable publish failed, retrying', {
          subject: e.subject,
          err,
        });
        this.deps.onTrouble(err);
      }
    }
    this.maybeScheduleRetry();
  }

  private maybeScheduleRetry(): void {
    if (this.inflight > 0 || this.retryTimer !== undefined) return;
    const base = Math.min(MAX_BACKOFF_MS, 50 * 2 ** this.backoffStep);
    this.backoffStep = Math.min(this.backoffStep + 1, 16);
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.blocked = false;
      this.cursor = this.head;
      this.pump();
    }, delay);
  }

  private expire(e: Entry): void {
    this.setState(e, 'done');
    e.attempt++;
    const err = new BusError(
      'timeout',
      `durable publish to ${e.subject} not acknowledged within ${this.opts.retryBudgetMs} ms`,
    );
    if (e.batch !== undefined) for (const m of e.batch) m.reject(err);
    else e.reject(err);
  }

  /** Whether a message published before `e` was sent, failed, and still waits for its retry. */
  private hasOlderFailure(e: Entry): boolean {
    for (let i = this.head; i < this.entries.length; i++) {
      const o = this.entries[i]!;
      if (o.pos >= e.pos) return false;
      if (o.state === 'queued' && o.attempt > 0) return true;
    }
    return false;
  }

  private advanceHead(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.state === 'done') {
      this.head++;
    }
    if (this.cursor < this.head) this.cursor = this.head;
    if (this.pending === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.cursor -= this.head;
      this.head = 0;
    }
  }

  /**
   * While anything is pending: fail attempts whose PubAck is overdue, and
   * reject messages whose retry budget ran out even if nothing is sent.
   */
  private startSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const every = Math.max(50, Math.min(1000, Math.floor(this.opts.ackTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => {
      if (this.pending === 0) {
        clearInterval(this.sweepTimer);
        this.sweepTimer = undefined;
        return;
      }
      const now = Date.now();
      for (const e of [...this.inflightByPos.values()]) {
        if (now - e.sentAt > this.opts.ackTimeoutMs) {
          this.settle(e, () => this.failed(e, new Error('no PubAck in time'), true));
        }
      }
      for (let i = this.head; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (e.state === 'queued' && e.leader === undefined && now > e.deadline) this.expire(e);
      }
      this.advanceHead();
      this.compact();
    }, every);
    this.sweepTimer.unref();
  }
}
