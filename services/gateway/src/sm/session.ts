/**
 * The stream management state of one session (XEP-0198): counters, the
 * local copy of the unacknowledged outbound queue and, for a resumable
 * session, its mirror in the shared ResumptionStore.
 *
 * Output of a resumable session is gated by the store: every outbound stanza
 * gets the next sequence number and is appended to the store (appends made
 * in one tick go out as one call per session, and the Redis store pipelines
 * the calls of all sessions) before it is written to the socket. Whatever
 * the client could have received is therefore in the store, and a client can
 * resume on any gateway even if this process dies. Elements that are not
 * stanzas (<r/>, <a/>) wait behind pending stanzas to keep the stream order.
 *
 * Lifecycle: attached to a live Connection; `detached` after an unexpected
 * connection loss (deliveries are still appended, nothing is written) until
 * it is resumed or expires; `ended` once the session is over on this
 * gateway (the SmManager then bounces what the client never acknowledged).
 * A session whose store record was claimed by someone else (resumed on
 * another stream, or reaped) is `lost`: it stops writing and keeps what
 * arrives for it as `orphans`, bounced once the new owner has the session.
 */
import { bareOf } from '@parley/jid';
import type { OutboundEntry, ResumptionState } from '@parley/store';
import { NS_SM } from '@parley/stanza';
import type { Connection, SessionRoute } from '../connection.js';
import type { GatewayContext } from '../context.js';

/** 'h' values are unsignedInt and wrap at 2^32 (XEP-0198 section 4). */
export const H_MOD = 2 ** 32;
/** An ack request goes out when unacknowledged stanzas are this old. */
export const ACK_REQUEST_IDLE_MS = 30_000;

export const REQUEST = `<r xmlns='${NS_SM}'/>`;

export function ackElement(h: number): string {
  return `<a xmlns='${NS_SM}' h='${h % H_MOD}'/>`;
}

/**
 * The absolute count a client means by the wire value `h`, given the last
 * absolute value `base` it acknowledged: the smallest count >= base whose
 * value mod 2^32 is `h`.
 */
export function absoluteH(h: number, base: number): number {
  return base + ((((h - base) % H_MOD) + H_MOD) % H_MOD);
}

/** Parses an 'h' attribute: an unsignedInt. */
export function parseH(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n < H_MOD ? n : undefined;
}

/** The length of the serialized stanzas of a queue (what sm.maxQueueBytes bounds). */
function sizeOf(queue: readonly OutboundEntry[]): number {
  let n = 0;
  for (const [, xml] of queue) n += xml.length;
  return n;
}

interface Pending {
  data: string;
  /** Sequence number of a stanza; 0 for other elements. */
  seq: number;
}

type AppendOutcome = { ok: boolean } | { err: unknown };

export interface SmSessionInit {
  /** The SM-ID when the session is resumable. */
  id?: string;
  epoch?: number;
  /** Resumption timeout agreed for this session. */
  timeoutMs: number;
  jid: string;
  user: string;
  inboundH?: number;
  sent?: number;
  acked?: number;
  queue?: OutboundEntry[];
}

export class SmSession {
  conn: Connection | undefined;
  /** Connection id the session registry knows this session by. */
  readonly connId: string;
  /** Resumption id; cleared when the session falls back to acks without resumption. */
  id: string | undefined;
  epoch: number;
  readonly timeoutMs: number;
  readonly jid: string;
  readonly user: string;
  /** Client stanzas handled (absolute): every one up to here is routed or answered. */
  inboundH: number;
  /** Client stanzas received (absolute), handled or still being routed. */
  private inboundSeen: number;
  /** Received stanzas beyond inboundH already handled (their routing was confirmed out of order). */
  private inboundEarly: Set<number> | undefined;
  /** <r/> received while stanzas before it were still being routed: the inboundSeen of each. */
  private ackRequests: number[] | undefined;
  private inboundStored: number;
  /** Sequence number of the last outbound stanza (absolute). */
  sent: number;
  /** Highest sequence number the client acknowledged. */
  acked: number;
  /** Unacknowledged outbound stanzas, oldest first (written or waiting for the store). */
  queue: OutboundEntry[];
  /** The length of the serialized stanzas in `queue` (held to sm.maxQueueBytes). */
  queueBytes: number;
  /** Stanzas that are in the store (written once they are). */
  private persisted: number;
  private batch: OutboundEntry[] = [];
  private out: Pending[] = [];
  private flushScheduled = false;
  private tail: Promise<void> = Promise.resolve();
  private lastRequestSeq: number;
  private lastRequestAt: number;
  private lastAckAt: number;
  private touchAt: number;
  /** When the connection was lost (0 while attached). */
  detachedAt = 0;
  /** The session is over on this gateway; nothing is appended or written any more. */
  ended = false;
  /** Bounces are done; late deliveries are bounced by their caller. */
  finished = false;
  /** The store record belongs to someone else now. */
  lost = false;
  lostAt = 0;
  /**
   * After a resumption: the delivery ids (Envelope.did) of the stanzas in the
   * resumption record it was resumed from, with their stanzas, and of the
   * entries acknowledged shortly before (`ackedDids`, stanza unknown). A
   * delivery with one of these ids and the same stanza is a second copy of one the
   * client already has or is being retransmitted: its first gateway wrote it
   * (and stored it) but died before confirming it to the registry, which
   * drained it from that gateway's subject, parked it for this session and
   * hands it over behind the resumption fence. It is dropped.
   */
  private replayed: Map<string, string | undefined> | undefined;
  /** Stanzas for this session that were never written: bounced (all kinds) when it is handed over or ends. */
  orphans: string[] = [];
  /** The routing state of the connection it was detached from (for re-registration). */
  route: SessionRoute | undefined;
  /** When its resource was bound. */
  boundAt = 0;
  /**
   * Listed in a re-registration (`session-sync`): however it ends here, an
   * unbind naming its connection follows, so a partition owner that learnt
   * of it from the listing forgets it again (an unbind for a connection that
   * no longer holds the resource changes nothing).
   */
  synced = false;

  constructor(
    readonly ctx: GatewayContext,
    conn: Connection,
    init: SmSessionInit,
  ) {
    this.conn = conn;
    this.connId = conn.id;
    this.id = init.id;
    this.epoch = init.epoch ?? 1;
    this.timeoutMs = init.timeoutMs;
    this.jid = init.jid;
    this.user = init.user;
    this.inboundH = init.inboundH ?? 0;
    this.inboundSeen = this.inboundH;
    this.inboundStored = this.inboundH;
    this.sent = init.sent ?? 0;
    this.acked = init.acked ?? 0;
    this.queue = init.queue ?? [];
    this.queueBytes = sizeOf(this.queue);
    this.persisted = this.sent;
    this.lastRequestSeq = this.sent;
    const now = Date.now();
    this.lastRequestAt = now;
    this.lastAckAt = now;
    this.touchAt = now + this.touchInterval();
  }

  static resumed(
    ctx: GatewayContext,
    conn: Connection,
    state: ResumptionState,
    clientH: number,
    timeoutMs: number,
  ): SmSession {
    const sm = new SmSession(ctx, conn, {
      id: state.id,
      epoch: state.epoch,
      timeoutMs,
      jid: state.jid,
      user: bareOf(state.jid),
      inboundH: state.inboundH,
      sent: state.outboundSeq,
      acked: clientH,
      queue: state.outbound.filter(([seq]) => seq > clientH),
    });
    // Every stored entry counts, also those the client acknowledges with this resumption:
    // it has them too. So do the entries it acknowledged shortly before (their stanzas are
    // gone from the record; the id alone, 96 random bits, names the delivery).
    for (const [, xml, did] of state.outbound)
      if (did !== undefined) (sm.replayed ??= new Map()).set(did, xml);
    for (const did of state.ackedDids ?? []) (sm.replayed ??= new Map()).set(did, undefined);
    return sm;
  }

  get resumable(): boolean {
    return this.id !== undefined;
  }

  get unacked(): number {
    return this.sent - this.acked;
  }

  /** Stanzas written to the client so far (a resumable session writes what is stored). */
  get written(): number {
    return this.id === undefined ? this.sent : this.persisted;
  }

  // --- output ----------------------------------------------------------------

  /**
   * An outbound stanza: counted, queued until acknowledged, stored (if
   * resumable), then written. `did` is the registry's delivery id, kept with
   * the entry in the resumption record; a delivery already in the record
   * this session was resumed from is dropped (see `replayed`).
   */
  stanza(xml: string, did?: string): void {
    if (did !== undefined && this.replayed?.has(did) && (this.replayed.get(did) ?? xml) === xml) {
      this.ctx.logger.info('dropped a second copy of a stanza already in the resumption record', {
        conn: this.connId,
        jid: this.jid,
        did,
      });
      return;
    }
    if (this.ended || this.lost) {
      this.orphans.push(xml);
      return;
    }
    const seq = ++this.sent;
    const entry: OutboundEntry = did === undefined ? [seq, xml] : [seq, xml, did];
    this.queue.push(entry);
    this.queueBytes += xml.length;
    const { maxQueue, maxQueueBytes } = this.ctx.config.sm;
    if (this.unacked > maxQueue || this.queueBytes > maxQueueBytes) {
      this.ctx.sm.overflow(this, this.unacked > maxQueue ? 'sm-count' : 'sm-bytes');
      return;
    }
    if (this.id === undefined) {
      this.conn?.send(xml);
    } else {
      this.batch.push(entry);
      if (this.conn !== undefined) this.out.push({ data: xml, seq });
      this.scheduleFlush();
    }
    // Ask once `ackRequestEvery` stanzas are unacknowledged, and again after as many more.
    const every = this.ctx.config.sm.ackRequestEvery;
    if (
      this.conn !== undefined &&
      this.unacked >= every &&
      this.sent - this.lastRequestSeq >= every
    ) {
      this.requestAck(Date.now());
    }
  }

  /** A stream-level element (not counted), kept in order behind stanzas waiting for the store. */
  nonza(data: string): void {
    const conn = this.conn;
    if (conn === undefined || this.ended) return;
    if (this.out.length === 0) conn.send(data);
    else this.out.push({ data, seq: 0 });
  }

  /** Writes the retransmission after a resumption: stanzas already in the store, in order. */
  retransmit(): number {
    const conn = this.conn;
    if (conn === undefined) return 0;
    for (const [, xml] of this.queue) conn.send(xml);
    return this.queue.length;
  }

  private requestAck(now: number): void {
    this.lastRequestSeq = this.sent;
    this.lastRequestAt = now;
    this.nonza(REQUEST);
  }

  // --- input ---------------------------------------------------------------

  /**
   * One more client stanza received. It counts as handled (XEP-0198 `h`, in
   * <a/> and in the stored record a resumption answers with) once
   * `confirmed` settles: for a routed stanza, once the bus has stored it
   * (publishDurable), so a gateway that dies before that never tells the
   * client it has a stanza it lost; the client sends it again when it
   * resumes. `h` covers a prefix: a stanza counts only after every earlier one.
   */
  handled(confirmed?: Promise<unknown>): void {
    const seq = ++this.inboundSeen;
    if (confirmed === undefined) this.handledUpTo(seq);
    else
      confirmed.then(
        () => this.handledUpTo(seq),
        () => this.handledUpTo(seq),
      );
  }

  private handledUpTo(seq: number): void {
    if (seq !== this.inboundH + 1) {
      (this.inboundEarly ??= new Set()).add(seq);
      return;
    }
    this.inboundH = seq;
    const early = this.inboundEarly;
    if (early !== undefined) {
      while (early.delete(this.inboundH + 1)) this.inboundH++;
      if (early.size === 0) this.inboundEarly = undefined;
    }
    const requests = this.ackRequests;
    if (requests !== undefined) {
      while (requests.length > 0 && requests[0]! <= this.inboundH) {
        requests.shift();
        this.nonza(ackElement(this.inboundH));
      }
      if (requests.length === 0) this.ackRequests = undefined;
    }
    if (this.id !== undefined) this.scheduleFlush();
  }

  /**
   * <r/>: answer with the count of handled client stanzas, once every stanza
   * received before it is handled (stored by the bus), so that the answer
   * covers them as the client expects.
   */
  onRequest(): void {
    if (this.inboundH === this.inboundSeen) this.nonza(ackElement(this.inboundH));
    else (this.ackRequests ??= []).push(this.inboundSeen);
  }

  /**
   * <a h/> from the client. Returns false when it acknowledges more than was
   * sent (the caller ends the stream with handled-count-too-high).
   */
  onAck(h: number): boolean {
    const abs = absoluteH(h, this.acked);
    if (abs > this.written) return false;
    this.lastAckAt = Date.now();
    if (abs === this.acked) return true;
    this.acked = abs;
    let drop = 0;
    while (drop < this.queue.length && this.queue[drop]![0] <= abs) {
      this.queueBytes -= this.queue[drop]![1].length;
      drop++;
    }
    this.queue.splice(0, drop);
    if (this.id !== undefined && !this.lost && !this.ended) {
      this.ctx.resumption.ack(this.id, this.epoch, abs).then(
        (ok) => {
          if (!ok) this.refused();
        },
        // The store keeps a few more stanzas than needed: a resumption may repeat them.
        (err: unknown) => this.ctx.logger.warn('resumption ack failed', { conn: this.connId, err }),
      );
    }
    return true;
  }

  // --- timers ----------------------------------------------------------------

  /** Driven by the gateway's sweep while a connection holds the session. */
  tick(now: number): void {
    if (this.ended || this.lost || this.conn === undefined) return;
    if (
      this.unacked > 0 &&
      now - this.lastRequestAt >= ACK_REQUEST_IDLE_MS &&
      now - this.lastAckAt >= ACK_REQUEST_IDLE_MS
    ) {
      this.requestAck(now);
    }
    if (this.id !== undefined && now >= this.touchAt) {
      this.touchAt = now + this.touchInterval();
      // While attached the record lives for the configured timeout past the last touch,
      // so it survives this process by that long; the agreed (maybe shorter) time counts from a detach.
      this.ctx.resumption.touch(this.id, this.epoch, now + this.ctx.config.sm.resumeTimeoutMs).then(
        (ok) => {
          if (!ok) this.refused();
        },
        (err: unknown) =>
          this.ctx.logger.warn('resumption touch failed', { conn: this.connId, err }),
      );
    }
  }

  /**
   * A live session keeps its record from expiring by pushing the deadline
   * forward this often (the sweep that calls `tick` runs at least every
   * quarter of the configured timeout).
   */
  private touchInterval(): number {
    return Math.max(1, Math.floor(this.ctx.config.sm.resumeTimeoutMs / 3));
  }

  // --- the store ---------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const id = this.id;
    if (id === undefined || this.ended || this.lost) return;
    const store = this.ctx.resumption;
    const batch = this.batch;
    if (batch.length > 0) {
      this.batch = [];
      const upTo = batch[batch.length - 1]![0];
      // Settled at once so a rejection is never unhandled while earlier appends are pending.
      const outcome: Promise<AppendOutcome> = store.appendOutbound(id, this.epoch, batch).then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err }),
      );
      this.tail = this.tail
        .then(() => outcome)
        .then((r) => {
          if ('err' in r) this.storeFailed(r.err, 'append');
          else if (!r.ok) this.refused();
          else this.persistedUpTo(upTo);
        })
        .catch((err: unknown) =>
          this.ctx.logger.error('stream management output failed', { conn: this.connId, err }),
        );
    }
    if (this.inboundH !== this.inboundStored) {
      this.inboundStored = this.inboundH;
      store.setInboundH(id, this.epoch, this.inboundH).then(
        (ok) => {
          if (!ok) this.refused();
        },
        (err: unknown) =>
          this.ctx.logger.warn('resumption h update failed', { conn: this.connId, err }),
      );
    }
  }

  /** Resolves once every append issued so far has settled. */
  async settled(): Promise<void> {
    if (this.flushScheduled) this.flush();
    await this.tail;
  }

  private persistedUpTo(seq: number): void {
    if (seq > this.persisted) this.persisted = seq;
    this.drain();
  }

  private drain(): void {
    const conn = this.conn;
    while (this.out.length > 0) {
      const head = this.out[0]!;
      if (head.seq > this.persisted) break;
      this.out.shift();
      if (conn !== undefined && !this.ended) conn.send(head.data);
    }
  }

  /** Stanzas the store does not hold (never written): they must be bounced by whoever ends this session. */
  unpersisted(): string[] {
    return this.queue.filter(([seq]) => seq > this.persisted).map(([, xml]) => xml);
  }

  /**
   * The store refused a write: either another gateway claimed the session
   * (a newer epoch), or the store lost the record (Redis restarted empty).
   * Only the first means the session is no longer ours.
   */
  private refused(): void {
    const id = this.id;
    if (id === undefined || this.lost || this.ended) return;
    this.ctx.resumption.get(id).then(
      (state) => {
        if (state !== undefined && state.epoch > this.epoch) this.ownershipLost();
        else if (state === undefined)
          this.storeFailed(new Error('resumption record vanished'), 'refused');
      },
      (err: unknown) => this.storeFailed(err, 'get'),
    );
  }

  private ownershipLost(): void {
    if (this.lost || this.ended) return;
    this.lost = true;
    this.lostAt = Date.now();
    // What never reached the store never reached the socket: it is not ours to send any more.
    this.orphans.push(...this.unpersisted(), ...this.batch.map(([, xml]) => xml));
    this.queue = this.queue.filter(([seq]) => seq <= this.persisted);
    this.queueBytes = sizeOf(this.queue);
    this.batch = [];
    this.out = this.out.filter((p) => p.seq !== 0 && p.seq <= this.persisted);
    this.ctx.logger.info('stream management session taken over or expired', {
      conn: this.connId,
      jid: this.jid,
    });
  }

  /**
   * The resumption store is unreachable (e.g. Redis restarting). A connected
   * session carries on with acknowledgements but without resumption: what
   * is pending is written now, and a later <resume/> of this id fails, so the
   * client logs in again instead of losing its connection during the outage.
   * A detached session cannot be kept without the store and is ended.
   */
  private storeFailed(err: unknown, op: string): void {
    if (this.ended) return;
    const conn = this.conn;
    if (conn === undefined) {
      this.ctx.logger.error('resumption store failed; ending the detached session', {
        conn: this.connId,
        jid: this.jid,
        op,
        err,
      });
      void this.ctx.sm.end(this);
      return;
    }
    this.ctx.logger.warn('resumption store failed; continuing without resumption', {
      conn: this.connId,
      jid: this.jid,
      op,
      err,
    });
    this.id = undefined;
    this.batch = [];
    this.persisted = this.sent;
    this.drain();
  }

  // --- detaching -------------------------------------------------------------------

  /** The connection was lost: keep the session for resumption, write nothing any more. */
  detach(now: number): void {
    if (this.conn !== undefined) {
      this.route = this.conn.route;
      this.boundAt = this.conn.boundAt;
    }
    this.conn = undefined;
    this.out = [];
    this.detachedAt = now;
    if (this.id === undefined || this.lost) return;
    this.ctx.resumption.detach(this.id, this.epoch, now, now + this.timeoutMs).then(
      (ok) => {
        if (!ok) this.refused();
      },
      (err: unknown) =>
        this.ctx.logger.warn('resumption detach failed', { conn: this.connId, err }),
    );
  }
}
