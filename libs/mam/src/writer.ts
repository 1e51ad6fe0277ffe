/**
 * Appending to an archive so that a message handled twice (redelivery after
 * a crash, a bounce re-routed) is archived once, under the same id.
 *
 * Ids have the store's shape (see newArchiveId in @parley/store): 9 base-36
 * digits of the time in ms, 3 of a sequence, 6 more. Here the last 6 are
 * not random but a tag derived from the message's dedupe key (a hash of
 * archive and key), and the time/sequence part is taken strictly above the
 * newest id of the archive, so ids follow arrival order even when clocks of
 * successive owners differ, and the stored `ts` is always the id's time.
 * Before appending, the writer looks the tag up among the newest entries of
 * the archive (the last `window` ones, loaded from the store the first time
 * an archive is touched, then kept in a cache): a hit means the message was
 * archived already, and its id is returned again instead of appending.
 */
import { fnv1a32 } from '@parley/hash';
import type { JID } from '@parley/jid';
import type { ArchiveStore } from '@parley/store';
import type { Element } from '@parley/xml';
import { LRUCache } from 'lru-cache';
import { archivedMessage } from './rules.js';

/** What the writer remembers about the newest end of one archive. */
export interface ArchiveTail {
  /** Newest id (undefined: the archive is empty). */
  last?: string;
  /**
   * Tag -> id of the newest entries, oldest first, bounded by the window:
   * first in, first out on purpose (it mirrors the newest end of the
   * archive; a look-up does not keep an entry longer). A plain Map rather
   * than an LRUCache: there is one per archive, and lru-cache allocates its
   * whole capacity up front.
   */
  recent: Map<string, string>;
}

/** Where tails are kept; a registry passes a per-account cache that is emptied when a partition moves. */
export interface TailCache {
  get(archive: string): ArchiveTail | undefined;
  set(archive: string, tail: ArchiveTail): void;
  delete(archive: string): void;
}

export interface AppendRequest {
  /**
   * Identifies the message across handlings: equal for a redelivery of the
   * same message, different for any other message (see dedupeKey).
   */
  key: string;
  /** The other party: recipient of an outgoing, sender of an incoming message (room archives: the occupant JID). */
  peer: JID;
  /** The message as it is to be archived. */
  message: Element | string;
  /** Time of archiving (ms); default now. */
  now?: number;
}

export interface Appended {
  id: string;
  /** Time stored (ms): the id's time. */
  ts: number;
  /** True when the message was found already archived (nothing was written). */
  duplicate: boolean;
}

const ID_TIME = 9;
const ID_SEQ = 3;
const SEQ_SPAN = 36 ** ID_SEQ;
const TAG_SPAN = 36 ** 6;

/**
 * The 6-character tag of a message in an archive: a 32-bit FNV-1a hash of
 * archive, a NUL separator and key (not a secret, only a short fingerprint;
 * a SHA-256 per archived message cost more than the rest of the tag work).
 */
export function archiveTag(archive: string, key: string): string {
  return (fnv1a32(`${archive}\0${key}`) % TAG_SPAN).toString(36).padStart(6, '0');
}

/**
 * The id for a message archived at `now` after `prev` (the archive's newest
 * id): `now`'s time with sequence 0, or, when that would not sort after
 * `prev`, `prev`'s time with the next sequence number. Ends in `tag`.
 */
export function nextArchiveId(prev: string | undefined, now: number, tag: string): string {
  let time = Math.max(0, Math.floor(now));
  let seq = 0;
  const p = prev !== undefined ? splitId(prev) : undefined;
  if (p && p.time >= time) {
    time = p.time;
    seq = p.seq + 1;
    if (seq >= SEQ_SPAN) {
      time++;
      seq = 0;
    }
  }
  return time.toString(36).padStart(ID_TIME, '0') + seq.toString(36).padStart(ID_SEQ, '0') + tag;
}

/** Time (ms) encoded in an 18-character archive id; NaN otherwise. */
export function idTime(id: string): number {
  return splitId(id)?.time ?? NaN;
}

function splitId(id: string): { time: number; seq: number } | undefined {
  if (id.length !== 18 || !/^[0-9a-z]+$/.test(id)) return undefined;
  return { time: parseInt(id.slice(0, ID_TIME), 36), seq: parseInt(id.slice(ID_TIME, 12), 36) };
}

/**
 * The tails of at most `max` archives, the least recently used dropped
 * first (and loaded again from the store when next needed): for writers
 * outside a registry, e.g. a MUC worker's, which forgets the rooms of a
 * partition it released.
 */
export class LruTailCache implements TailCache {
  private readonly lru: LRUCache<string, ArchiveTail>;
  constructor(max = 10_000) {
    this.lru = new LRUCache({ max });
  }
  get(archive: string): ArchiveTail | undefined {
    return this.lru.get(archive);
  }
  set(archive: string, tail: ArchiveTail): void {
    this.lru.set(archive, tail);
  }
  delete(archive: string): void {
    this.lru.delete(archive);
  }
  /** Drops the tails of every archive `pred` selects. */
  forget(pred: (archive: string) => boolean): void {
    for (const archive of [...this.lru.keys()]) if (pred(archive)) this.lru.delete(archive);
  }
}

export class ArchiveWriter {
  /** Appends in progress per archive: appends to one archive run one after another. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly cache: TailCache = new LruTailCache(),
    /** How many of the newest entries are checked for a duplicate. */
    private readonly window = 64,
  ) {}

  /** Archives a message unless the same key was archived among the newest entries. */
  append(archive: string, req: AppendRequest): Promise<Appended> {
    const prev = this.chains.get(archive);
    const run = (prev ?? Promise.resolve()).then(
      () => this.appendNow(archive, req),
      () => this.appendNow(archive, req),
    );
    this.chains.set(archive, run);
    const cleanup = () => {
      if (this.chains.get(archive) === run) this.chains.delete(archive);
    };
    run.then(cleanup, cleanup);
    return run;
  }

  /** Forgets what is known about an archive (after it was deleted or changed elsewhere). */
  forget(archive: string): void {
    this.cache.delete(archive);
  }

  private async appendNow(archive: string, req: AppendRequest): Promise<Appended> {
    const tail = await this.tail(archive);
    const tag = archiveTag(archive, req.key);
    const known = tail.recent.get(tag);
    if (known !== undefined) return { id: known, ts: idTime(known), duplicate: true };
    const id = nextArchiveId(tail.last, req.now ?? Date.now(), tag);
    const ts = idTime(id);
    const added = await this.store.append(archive, archivedMessage(id, ts, req.peer, req.message));
    // A false here means the id exists already: only a tag collision with an entry written in the
    // same millisecond and sequence could cause it, which nextArchiveId rules out; count it as one.
    remember(tail, tag, id, this.window);
    this.cache.set(archive, tail);
    return { id, ts, duplicate: !added };
  }

  private async tail(archive: string): Promise<ArchiveTail> {
    const cached = this.cache.get(archive);
    if (cached) return cached;
    const page = await this.store.query(archive, { limit: this.window, fromEnd: true });
    const tail: ArchiveTail = { recent: new Map() };
    for (const m of page.items) {
      if (m.id.length === 18) tail.recent.set(m.id.slice(12), m.id);
      tail.last = m.id;
    }
    this.cache.set(archive, tail);
    return tail;
  }
}

function remember(tail: ArchiveTail, tag: string, id: string, window: number): void {
  tail.last = id;
  tail.recent.set(tag, id);
  while (tail.recent.size > window) {
    const oldest = tail.recent.keys().next();
    if (oldest.done) break;
    tail.recent.delete(oldest.value);
  }
}

/** What identifies one message on its way through the server (a routing envelope's fields). */
export interface MessageOrigin {
  /** Sender as stamped (full JID for client stanzas). */
  from: string;
  to?: string;
  /** Gateway connection and gateway receive time of a client stanza. */
  conn?: string;
  ts?: number;
  /** The stanza's id attribute. */
  id?: string;
  type?: string;
}

/**
 * The dedupe key of a message. A client stanza is identified by its
 * sender, connection and the gateway's receive time (sub-millisecond,
 * monotonic per gateway): every copy of it the server routes, and every
 * redelivery, has the same. A stanza the server generated has neither;
 * it is identified by its addresses, id, type and body text, so two such
 * messages alike in all of these count as one.
 */
export function dedupeKey(m: MessageOrigin, body?: string): string {
  if (m.conn !== undefined && m.ts !== undefined) return `c\n${m.from}\n${m.conn}\n${m.ts}`;
  return `s\n${m.from}\n${m.to ?? ''}\n${m.id ?? ''}\n${m.type ?? ''}\n${body ?? ''}`;
}
