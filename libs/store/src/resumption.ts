/**
 * Stream resumption state (XEP-0198) shared by every gateway of a cluster,
 * so that a client can resume its session on any gateway, also after the
 * gateway that held it died.
 *
 * One record per resumable stream, keyed by its SM-ID: a random, unguessable
 * token that contains no JID. Every operation is atomic on its record.
 *
 * Ownership: a record belongs to one connection (`gw`/`conn`) at a time and
 * carries an `epoch` that every `claim` increments. Every write made by an
 * owner names the epoch it knows; a write with an older epoch changes nothing
 * and returns false, which tells the old owner that the stream was resumed
 * elsewhere (or expired).
 *
 * Counters are absolute (they do not wrap at 2^32 like the protocol's 'h';
 * the gateway converts). `outbound` holds the stanzas sent to the client and
 * not yet acknowledged, in sequence order; an entry is appended before the
 * stanza is written to the socket.
 *
 * Expiry: a record is expired once `expiresAt <= now`. Live owners push
 * `expiresAt` forward with `touch`; a dropped stream gets `detach`ed with
 * its resumption deadline. Expired records can no longer be claimed; any
 * gateway finds them with `expired` and removes them with `reap`, which
 * hands the record to exactly one caller (who then ends the session and
 * bounces what the client never acknowledged). Backends drop records some
 * time after they expired even if nobody reaps them.
 */

/**
 * A stanza sent to the client and not acknowledged yet: sequence number,
 * serialized stanza and, when it came from the registry, its delivery id
 * (`Envelope.did` in @parley/routing: letters, digits, `-`, `_`; at most 64).
 * The id lets a resuming gateway recognize a second copy of the same
 * delivery (drained from a dead gateway and parked for the session) and drop
 * it. Optional: records written before it existed, and stanzas the gateway
 * generated itself, have none.
 */
export type OutboundEntry = [seq: number, xml: string, did?: string];

export interface ResumptionState {
  /** The SM-ID. */
  id: string;
  /** Full JID of the session. */
  jid: string;
  /** Gateway and connection that currently own the session. */
  gw: string;
  conn: string;
  /** Incremented by every successful claim; starts at 1. */
  epoch: number;
  /** Stanzas the server handled from the client. */
  inboundH: number;
  /** Sequence number of the last outbound stanza appended (stanzas sent to the client). */
  outboundSeq: number;
  /** Highest sequence number the client acknowledged. */
  acked: number;
  /** Unacknowledged outbound stanzas in sequence order (every seq > acked). */
  outbound: OutboundEntry[];
  /**
   * Delivery ids of entries the client acknowledged recently (within
   * {@link ACKED_DID_RETAIN_MS}, at most {@link ACKED_DID_MAX}), oldest
   * first; absent when there are none. A gateway that dies between writing
   * a delivery and confirming it to the registry leaves a second copy on its
   * subject even when the client acknowledged the first: the gateway that
   * resumes the stream drops deliveries with these ids too.
   */
  ackedDids?: string[];
  /** ms since epoch; the record can be claimed only before this. */
  expiresAt: number;
  /** When the owning connection was lost (absent while a connection holds it). */
  detachedAt?: number;
}

/** How long the delivery id of an acknowledged entry is kept in the record (ms). */
export const ACKED_DID_RETAIN_MS = 10_000;
/** At most this many acknowledged delivery ids are kept per record (the most recent). */
export const ACKED_DID_MAX = 64;

export interface NewResumption {
  id: string;
  jid: string;
  gw: string;
  conn: string;
  expiresAt: number;
}

export interface ClaimRequest {
  /** The epoch the claimer read; the claim fails if the record changed hands since. */
  epoch: number;
  gw: string;
  conn: string;
  now: number;
  /** New expiry (the claimer is live now). */
  expiresAt: number;
}

export interface ResumptionStore {
  /** Creates a record (epoch 1, counters 0, empty queue); false when the id exists. */
  create(init: NewResumption): Promise<boolean>;
  /** The record, expired or not; undefined once removed. */
  get(id: string): Promise<ResumptionState | undefined>;
  /**
   * Appends outbound stanzas and records the last seq as `outboundSeq`. The
   * entries must continue the sequence: `outboundSeq + 1`, `+ 2`, ... (else
   * `invalid-argument`, nothing appended). False when `epoch` is not current.
   */
  appendOutbound(id: string, epoch: number, entries: readonly OutboundEntry[]): Promise<boolean>;
  /**
   * The client acknowledged everything up to `h`: drops those entries and
   * keeps their delivery ids in `ackedDids`, stamped `now` (default: the
   * clock), forgetting ids older than {@link ACKED_DID_RETAIN_MS} and all but
   * the {@link ACKED_DID_MAX} most recent. False when `epoch` is not current.
   */
  ack(id: string, epoch: number, h: number, now?: number): Promise<boolean>;
  /** Records how many client stanzas the server handled. False when `epoch` is not current. */
  setInboundH(id: string, epoch: number, h: number): Promise<boolean>;
  /** The owner is alive: moves `expiresAt` forward. False when `epoch` is not current. */
  touch(id: string, epoch: number, expiresAt: number): Promise<boolean>;
  /** The owner lost its connection at `detachedAt`; resumable until `expiresAt`. False when `epoch` is not current. */
  detach(id: string, epoch: number, detachedAt: number, expiresAt: number): Promise<boolean>;
  /**
   * Takes the record over for a resuming connection: only when it exists, is
   * not expired at `now` and still has `epoch`. Returns the record as it is
   * now (epoch incremented, new owner, not detached), else undefined.
   */
  claim(id: string, req: ClaimRequest): Promise<ResumptionState | undefined>;
  /**
   * Removes the record (only if its epoch is `epoch`, when given) and returns
   * what it held; undefined when there was nothing (or another epoch).
   */
  delete(id: string, epoch?: number): Promise<ResumptionState | undefined>;
  /** Ids of records expired at `now`, soonest expired first, at most `limit`. */
  expired(now: number, limit: number): Promise<string[]>;
  /** Removes the record if it is expired at `now` and returns it; exactly one caller gets it. */
  reap(id: string, now: number): Promise<ResumptionState | undefined>;
  close(): Promise<void>;
}
