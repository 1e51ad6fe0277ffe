import type { MsgHdrs } from '@nats-io/transport-node';
import { BusError } from '../bus.js';
import type { BusLogger } from './logger.js';

/**
 * The sending half of the direct durable transport (see DirectOrderedConsumer
 * for the receiving half and the README for the protocol).
 *
 * Messages go out as core NATS publishes. Each ordering scope (one consumer
 * filter: a partition, a gateway) is a stream of its own with consecutive
 * sequence numbers; the reply subject of every message names the stream, the
 * message's sequence, the oldest sequence not yet confirmed and how many
 * times it was sent (`<inbox>.<scope>.<seq>.<lo>.<attempt>`). The consumer confirms cumulatively on
 * `<inbox>.<scope>.<handledUpTo>` once its handler is done. Until then the
 * message stays here and is sent again:
 *
 * - when nothing is confirmed for `ackTimeoutMs` (lost on the way, or its
 *   consumer died): every unconfirmed message of the scope, in order;
 * - when the consumer reports a gap (a NAK): the same;
 * - when NATS answers "no responders" (nobody consumes the scope right now:
 *   a failover): the scope holds new messages and probes with its oldest one,
 *   backing off up to 250 ms, until a consumer confirms it; then everything
 *   held goes out in order.
 *
 * A message that is still unconfirmed after `retryBudgetMs` is rejected, so
 * its caller can bounce it.
 */
export interface DirectSenderDeps {
  /**
   * Core NATS subscription to the confirmation inbox; `code` is the status of
   * a status message (503: no responders).
   */
  subscribe(
    subject: string,
    onMsg: (subject: string, data: Uint8Array, code: number | undefined) => void,
  ): { unsubscribe(): void };
  /**
   * Core publish with reply subject (held while disconnected, in order);
   * `retry` on every transmission after the first; `scope` is the message's
   * ordering scope (`scopeOf(subject)`).
   */
  send(
    subject: string,
    data: Uint8Array,
    headers: MsgHdrs | undefined,
    reply: string,
    retry: boolean,
    scope: string,
  ): void;
  logger: BusLogger;
}

export interface DirectSenderOptions {
  /** Unconfirmed this long: the scope's unconfirmed messages are sent again (default 2000 ms). */
  ackTimeoutMs: number;
  /** Unconfirmed this long: the publish rejects (default 30 s). */
  retryBudgetMs: number;
  /** Maps a subject to its ordering scope: the filter of the consumer that reads it. */
  scopeOf(subject: string): string;
}

interface Pending {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly first: number;
  sentAt: number;
  attempt: number;
  /** Confirmed on its own (beyond the confirmed prefix): resolved, kept for the order. */
  done: boolean;
  /** Its handler has run (the publish resolved), its own onward messages may not be confirmed yet. */
  handled: boolean;
  /** Called once when it is done (confirmed with its onward messages) or rejected. */
  onDone: ((err?: Error) => void) | undefined;
  resolve(): void;
  reject(err: Error): void;
}

interface Scope {
  readonly id: number;
  readonly key: string;
  nextSeq: number;
  pending: Pending[];
  /** Index of the oldest unconfirmed message in `pending`. */
  head: number;
  /** No consumer right now: new messages wait, the oldest probes at `probeAt`. */
  held: boolean;
  probeAt: number;
  backoffMs: number;
  lastResend: number;
  /** A resend was asked for too soon after the last one: the next tick does it. */
  resendDue: boolean;
  /** Reported handled up to here (the publishes resolved). */
  handledTo: number;
  lastUsed: number;
}

const TICK_MS = 100;
const MIN_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 250;
const MIN_RESEND_GAP_MS = 50;
const FORGET_SCOPE_MS = 10 * 60_000;

export class DirectSender {
  private readonly scopes = new Map<string, Scope>();
  private readonly byId = new Map<number, Scope>();
  private readonly sub: { unsubscribe(): void };
  private readonly timer: NodeJS.Timeout;
  private nextId = 0;
  private count = 0;
  private closing = false;
  private drainedWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: DirectSenderDeps,
    private readonly opts: DirectSenderOptions,
    private readonly inbox: string,
  ) {
    this.sub = deps.subscribe(`${inbox}.>`, (subject, data, code) =>
      this.onReply(subject, data, code),
    );
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Messages published and not yet confirmed or rejected. */
  get pending(): number {
    return this.count;
  }

  /**
   * Resolves once the consumer has handled the message; `onDone` is called
   * once the message is done (handled, and its handler's onward messages
   * confirmed: see DirectOrderedConsumer), or with the error if it is
   * rejected. A consumer that does not report "handled" separately
   * resolves both at once.
   */
  publish(
    subject: string,
    data: Uint8Array,
    headers?: MsgHdrs,
    onDone?: (err?: Error) => void,
  ): Promise<void> {
    if (this.closing) {
      const err = new BusError('closed', 'bus is closed');
      onDone?.(err);
      return Promise.reject(err);
    }
    const key = this.opts.scopeOf(subject);
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      scope = {
        id: ++this.nextId,
        key,
        nextSeq: 1,
        pending: [],
        head: 0,
        held: false,
        probeAt: 0,
        backoffMs: 0,
        lastResend: 0,
        resendDue: false,
        handledTo: 0,
        lastUsed: 0,
      };
      this.scopes.set(key, scope);
      this.byId.set(scope.id, scope);
    }
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      scope.lastUsed = now;
      const p: Pending = {
        seq: scope.nextSeq++,
        subject,
        data,
        headers,
        first: now,
        sentAt: now,
        attempt: 0,
        done: false,
        handled: false,
        onDone,
        resolve,
        reject,
      };
      scope.pending.push(p);
      this.count++;
      if (!scope.held) this.transmit(scope, p);
    });
  }

  /**
   * A consumer has just started in this process: the held scopes it reads
   * probe now instead of at their next backoff step.
   */
  probeHeld(reads: (subject: string) => boolean): void {
    for (const s of this.scopes.values()) {
      if (!s.held || s.head >= s.pending.length) continue;
      const head = s.pending[s.head]!;
      if (!reads(head.subject)) continue;
      s.probeAt = Date.now() + Math.max(this.opts.ackTimeoutMs, s.backoffMs);
      this.transmit(s, head);
    }
  }

  /** After a reconnect: anything unconfirmed may have been lost with the old connection. */
  onReconnect(): void {
    for (const s of this.scopes.values()) {
      if (!s.held) this.resend(s, true);
    }
  }

  /**
   * Waits up to `graceMs` for outstanding messages to be confirmed, then
   * rejects the rest and stops.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.count > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.drainedWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    clearInterval(this.timer);
    for (const s of this.scopes.values()) {
      for (let i = s.head; i < s.pending.length; i++) {
        settle(
          s.pending[i]!,
          new BusError('closed', 'bus closed before the message was confirmed'),
        );
      }
      s.pending = [];
      s.head = 0;
    }
    this.count = 0;
    try {
      this.sub.unsubscribe();
    } catch {
      // the connection is already closed
    }
  }

  private transmit(scope: Scope, p: Pending): void {
    p.sentAt = Date.now();
    const lo = scope.pending[scope.head]!.seq;
    const reply = `${this.inbox}.${scope.id}.${p.seq}.${lo}.${++p.attempt}`;
    this.deps.send(p.subject, p.data, p.headers, reply, p.attempt > 1, scope.key);
  }

  private resend(scope: Scope, force = false): void {
    const now = Date.now();
    if (!force && now - scope.lastResend < MIN_RESEND_GAP_MS) {
      scope.resendDue = true;
      return;
    }
    scope.lastResend = now;
    scope.resendDue = false;
    for (let i = scope.head; i < scope.pending.length; i++) this.transmit(scope, scope.pending[i]!);
  }

  /** Whether a confirmation subject belongs to this sender. */
  owns(subject: string): boolean {
    return subject.startsWith(this.inbox) && subject.charCodeAt(this.inbox.length) === 0x2e;
  }

  /** A confirmation (or "no responders" status) for one of this sender's scopes. */
  onReply(subject: string, data: Uint8Array, code: number | undefined): void {
    const rest = subject.slice(this.inbox.length + 1).split('.');
    const scope = this.byId.get(Number(rest[0]));
    if (scope === undefined) return;
    if (code === 503) {
      // Nobody consumes this scope right now: hold it and probe.
      const seq = Number(rest[1]);
      if (scope.head >= scope.pending.length || seq < scope.pending[scope.head]!.seq) return;
      scope.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, scope.backoffMs * 2));
      scope.held = true;
      scope.probeAt = Date.now() + scope.backoffMs;
      return;
    }
    if (rest.length === 3 && (rest[2] === 's' || rest[2] === 'h')) {
      this.confirm(scope, Number(rest[1]));
      if (rest[2] === 's') this.confirmSome(scope, data);
      else this.handled(scope, Number(new TextDecoder().decode(data)));
      return;
    }
    if (rest.length !== 2) return;
    this.confirm(scope, Number(rest[1]));
    if (data.length > 0) this.resend(scope); // NAK: the consumer saw a gap after the confirmed part
  }

  private confirm(scope: Scope, upTo: number): void {
    let n = 0;
    while (scope.head < scope.pending.length && scope.pending[scope.head]!.seq <= upTo) {
      const p = scope.pending[scope.head]!;
      scope.pending[scope.head++] = undefined as unknown as Pending;
      settle(p);
      n++;
    }
    if (n === 0) return;
    this.count -= n;
    this.compact(scope);
    scope.backoffMs = 0;
    if (scope.held) {
      // A consumer is back: everything held goes out in order.
      scope.held = false;
      this.resend(scope, true);
    }
    if (this.count === 0 && this.drainedWaiters.length > 0) {
      const w = this.drainedWaiters;
      this.drainedWaiters = [];
      for (const f of w) f();
    }
  }

  /**
   * Messages confirmed one by one (`5-9,12`), beyond the confirmed prefix:
   * their publishes resolve, but they stay in the scope, and are sent again
   * with the rest, until the prefix covers them, so that a new consumer still
   * gets the scope's messages without a gap.
   */
  private confirmSome(scope: Scope, data: Uint8Array): void {
    if (scope.head >= scope.pending.length) return;
    const base = scope.pending[scope.head]!.seq - scope.head;
    for (const range of new TextDecoder().decode(data).split(',')) {
      const [a, b] = range.split('-');
      const from = Number(a);
      const to = b === undefined ? from : Number(b);
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) continue;
      const end = Math.min(to - base, scope.pending.length - 1);
      for (let i = Math.max(from - base, scope.head); i <= end; i++) {
        const p = scope.pending[i]!;
        if (p.done) continue;
        p.done = true;
        settle(p);
      }
    }
  }

  /**
   * Handled up to `upTo`, not all done: those publishes resolve (their
   * callers wait for the handling, as with a consumer that does not track
   * onward messages); the messages stay until done.
   */
  private handled(scope: Scope, upTo: number): void {
    if (!Number.isSafeInteger(upTo) || scope.head >= scope.pending.length) return;
    const base = scope.pending[scope.head]!.seq - scope.head;
    const end = Math.min(upTo - base, scope.pending.length - 1);
    for (let i = Math.max(scope.head, scope.handledTo - base + 1); i <= end; i++) {
      const p = scope.pending[i]!;
      p.handled = true;
      p.resolve();
    }
    scope.handledTo = Math.max(scope.handledTo, upTo);
  }

  private compact(scope: Scope): void {
    if (scope.head === scope.pending.length) {
      scope.pending = [];
      scope.head = 0;
    } else if (scope.head > 1024 && scope.head * 2 > scope.pending.length) {
      scope.pending = scope.pending.slice(scope.head);
      scope.head = 0;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const s of this.scopes.values()) {
      if (s.head >= s.pending.length) {
        // A scope unused for long (a gateway that went away) is forgotten; if it is used
        // again it starts a new stream, which its consumer takes from the start.
        if (now - s.lastUsed > FORGET_SCOPE_MS) {
          this.scopes.delete(s.key);
          this.byId.delete(s.id);
        }
        continue;
      }
      let expired = 0;
      let removed = 0;
      while (
        s.head < s.pending.length &&
        now - s.pending[s.head]!.first > this.opts.retryBudgetMs
      ) {
        const p = s.pending[s.head]!;
        s.pending[s.head++] = undefined as unknown as Pending;
        removed++;
        if (p.done) continue;
        settle(
          p,
          new BusError(
            'timeout',
            `no consumer confirmed ${p.subject} within ${this.opts.retryBudgetMs} ms`,
          ),
        );
        if (!p.handled) expired++;
      }
      if (removed > 0) {
        this.count -= removed;
        if (expired > 0) {
          this.deps.logger.warn('durable messages expired unconfirmed', {
            scope: s.key,
            count: expired,
          });
        }
        this.compact(s);
        if (s.head >= s.pending.length) continue;
      }
      const head = s.pending[s.head]!;
      if (s.held) {
        if (now >= s.probeAt) {
          s.probeAt = now + Math.max(this.opts.ackTimeoutMs, s.backoffMs);
          this.transmit(s, head);
        }
      } else if (s.resendDue || now - head.sentAt > this.opts.ackTimeoutMs) {
        this.resend(s, true);
      }
    }
  }
}

/** Done (no error) or rejected: its publish settles, and so does whoever waits for it to be done. */
function settle(p: Pending, err?: Error): void {
  if (err === undefined) p.resolve();
  else p.reject(err);
  const f = p.onDone;
  p.onDone = undefined;
  f?.(err);
}
