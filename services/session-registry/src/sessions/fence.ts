/**
 * The resumption fence (XEP-0198 across connections, docs/architecture.md).
 *
 * When a takeover bind moves a session from connection A to connection B,
 * deliveries already routed to A may still be on their way to A's gateway;
 * that gateway returns (bounces) what it can no longer store for A, and
 * those returns must reach B before anything routed to B afterwards. So the
 * registry marks the session *moving*: it sends A's gateway a `fence` for A
 * (behind every delivery it routed to A), re-delivers what comes back from
 * A into a `returned` list and holds every new delivery for the session in
 * a `held` list. When `fence-done` arrives (behind A's returns), or after
 * the timeout, or when the lists outgrow their bounds, B gets the parked
 * deliveries of a dead gateway, then `returned`, then `held`, in order.
 */
import { randomBytes } from 'node:crypto';
import type { Envelope, Fence, FenceDone, GatewayMessage } from '@parley/routing';
import { gatewaySubject } from '@parley/routing';
import type { Logger, Metrics } from '@parley/telemetry';
import type { SessionEntry } from './session-table.js';

/** How long a moving session waits for `fence-done` before delivering what it holds. */
export const FENCE_TIMEOUT_MS = 2_000;
/** Deliveries held for one moving session (returned and new) before it stops waiting. */
export const FENCE_MAX_HELD = 1_000;
/** Bytes of stanzas held for one moving session before it stops waiting. */
export const FENCE_MAX_BYTES = 4 * 1024 * 1024;

export type FenceOutcome = 'done' | 'timeout' | 'overflow' | 'ended' | 'released';

interface Move {
  id: string;
  /** The connection the session moved away from, and its gateway. */
  fromGw: string;
  fromConn: string;
  /** Parked deliveries (drained from a dead gateway before the move), then A's returns. */
  returned: Envelope[];
  /** New deliveries since the move. */
  held: Envelope[];
  bytes: number;
  startedAt: number;
  timer: NodeJS.Timeout;
}

export interface FenceDeps {
  /** Publishes to a gateway subject in the order of the deliveries (publishDurable). */
  publish(subject: string, msg: GatewayMessage): Promise<void>;
  /** Hands a stanza to the session's current connection (bypassing the fence). */
  send(entry: SessionEntry, env: Envelope): void;
  logger: Logger;
  metrics: Metrics;
  timeoutMs?: number;
  maxHeld?: number;
  maxBytes?: number;
}

export class Fences {
  private readonly moves = new Map<SessionEntry, Move>();
  private readonly outcomes;
  private readonly timeoutMs: number;
  private readonly maxHeld: number;
  private readonly maxBytes: number;

  constructor(private readonly deps: FenceDeps) {
    this.timeoutMs = deps.timeoutMs ?? FENCE_TIMEOUT_MS;
    this.maxHeld = deps.maxHeld ?? FENCE_MAX_HELD;
    this.maxBytes = deps.maxBytes ?? FENCE_MAX_BYTES;
    this.outcomes = deps.metrics.counter(
      'parley_registry_resumption_fences_total',
      'Stream resumptions onto another connection that held deliveries back until the old connection returned what it still had (XEP-0198 fence), by outcome: done (fence-done arrived), timeout, overflow (too much held), ended (the session ended while moving), released (the partition moved).',
      ['outcome'],
    );
  }

  /** The session is moving (waiting for a fence-done). */
  moving(entry: SessionEntry): boolean {
    return this.moves.has(entry);
  }

  /** Sessions moving now (tests, metrics). */
  get size(): number {
    return this.moves.size;
  }

  /**
   * The session moved from `fromGw`/`fromConn` to its current connection.
   * `parked` (drained from a dead gateway before the move) goes first.
   * A session already moving keeps waiting for its first fence: nothing was
   * delivered to the connection in between, so everything goes to the new one.
   */
  start(
    entry: SessionEntry,
    fullJid: string,
    fromGw: string,
    fromConn: string,
    parked: Envelope[],
  ) {
    const known = this.moves.get(entry);
    if (known !== undefined) {
      for (const env of parked) this.add(entry, known, env, 'returned');
      return;
    }
    const id = randomBytes(9).toString('base64url');
    const move: Move = {
      id,
      fromGw,
      fromConn,
      returned: [],
      held: [],
      bytes: 0,
      startedAt: Date.now(),
      timer: setTimeout(() => this.finish(entry, 'timeout'), this.timeoutMs),
    };
    move.timer.unref?.();
    this.moves.set(entry, move);
    for (const env of parked) this.add(entry, move, env, 'returned');
    const fence: Fence = { t: 'fence', conn: fromConn, jid: fullJid, id };
    this.deps.publish(gatewaySubject(fromGw), fence).catch((err: unknown) => {
      this.deps.logger.warn('resumption fence not confirmed', { gw: fromGw, err });
    });
  }

  /** A delivery for the session: held while it moves (true), else the caller sends it. */
  hold(entry: SessionEntry, env: Envelope): boolean {
    const move = this.moves.get(entry);
    if (move === undefined) return false;
    this.add(entry, move, env, 'held');
    return true;
  }

  /**
   * A bounce of the connection the session is moving away from: it goes to
   * the session's new connection ahead of what was held back. False when
   * the session is not moving away from `conn` (the caller routes it).
   */
  returned(entry: SessionEntry, conn: string, env: Envelope): boolean {
    const move = this.moves.get(entry);
    if (move === undefined || move.fromConn !== conn) return false;
    this.add(entry, move, env, 'returned');
    return true;
  }

  /** `fence-done`: the old connection returned everything; deliver what is held. */
  done(entry: SessionEntry | undefined, m: FenceDone): void {
    if (entry === undefined) return;
    const move = this.moves.get(entry);
    if (move === undefined || move.id !== m.id) return;
    this.finish(entry, 'done');
  }

  /** The session ends while moving: what it holds, oldest first, for the caller to route again. */
  cancel(entry: SessionEntry): Envelope[] {
    const move = this.moves.get(entry);
    if (move === undefined) return [];
    clearTimeout(move.timer);
    this.moves.delete(entry);
    this.outcomes.inc({ outcome: 'ended' });
    return [...move.returned, ...move.held];
  }

  /** The partition moves to another worker: its moving sessions get what they hold now. */
  release(pred: (entry: SessionEntry) => boolean): void {
    for (const entry of [...this.moves.keys()]) if (pred(entry)) this.finish(entry, 'released');
  }

  private add(entry: SessionEntry, move: Move, env: Envelope, list: 'returned' | 'held'): void {
    move[list].push(env);
    move.bytes += env.xml.length;
    if (move.returned.length + move.held.length > this.maxHeld || move.bytes > this.maxBytes)
      this.finish(entry, 'overflow');
  }

  private finish(entry: SessionEntry, outcome: FenceOutcome): void {
    const move = this.moves.get(entry);
    if (move === undefined) return;
    clearTimeout(move.timer);
    this.moves.delete(entry);
    this.outcomes.inc({ outcome });
    const all = [...move.returned, ...move.held];
    for (const env of all) this.deps.send(entry, env);
    const fields = {
      jid: entry.jid,
      from: `${move.fromGw}/${move.fromConn}`,
      to: `${entry.gw}/${entry.conn}`,
      returned: move.returned.length,
      held: move.held.length,
      ms: Date.now() - move.startedAt,
    };
    if (outcome === 'done' || outcome === 'released')
      this.deps.logger.info('resumption fence passed', { ...fields, outcome });
    else this.deps.logger.warn('resumption fence given up', { ...fields, outcome });
  }
}
