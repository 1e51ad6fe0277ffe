import type { OfflineMessage, OfflineStore } from '../contracts.js';
import { offlineBytes, offlineBytesFit } from '../shared/offline-bytes.js';
import { formatOfflineId, parseOfflineId } from '../shared/offline-id.js';
import { checkCap, checkJid, checkLimit, checkTimestamp } from '../shared/validate.js';
import type { CqlSession, Row, Statement } from './session.js';
import {
  CAS_ATTEMPTS,
  KeyedMutex,
  OFFLINE_BUCKET_MS,
  backoff,
  bucketEnd,
  bucketOf,
  bucketStart,
  contention,
  mapLimit,
  optionalNumber,
  requireString,
  toNumber,
} from './util.js';

/** Rows deleted one by one per conditional batch (one partition, so no batch-size limit applies; this keeps mutations small). */
const DELETE_CHUNK = 100;

/**
 * What one conditional batch deletes from a queue whose live sequence
 * numbers are `live` (ascending): the longest run of doomed rows at the head
 * of the queue as one range delete `seq <= through` (a single range
 * tombstone, so queues that are delivered and removed oldest-first do not
 * pile up row tombstones in front of `list`), plus up to `max` other doomed
 * rows one by one. `prefix` is how many rows the range delete removes.
 */
export function planOfflineDelete(
  live: readonly number[],
  doomed: (seq: number) => boolean,
  max: number,
): { through: number | undefined; prefix: number; seqs: number[] } {
  let prefix = 0;
  while (prefix < live.length && doomed(live[prefix]!)) prefix++;
  const seqs: number[] = [];
  for (let i = prefix; i < live.length && seqs.length < max; i++) {
    if (doomed(live[i]!)) seqs.push(live[i]!);
  }
  return { through: prefix > 0 ? live[prefix - 1] : undefined, prefix, seqs };
}

interface QueueState {
  /** Last sequence number handed out (null before the first push). */
  lastSeq: number | null;
  /** Messages queued (null before the first push). */
  queued: number | null;
  /** offlineBytes of the messages queued (null before the first push, or before the byte bound). */
  bytes: number | null;
}

/**
 * Table `offline_messages`: one partition per owner, rows clustered by the
 * per-owner sequence number (so `list` is a slice in arrival order), each
 * row with its size (`bytes`), and three static columns: `last_seq` (last id
 * handed out, never reset), `queued` (the message count) and `queued_bytes`
 * (their sizes; rows and queues written before it count 0 until the queue
 * next empties).
 *
 * Every change is a conditional batch on the owner's partition guarded by
 * `IF last_seq = ? AND queued = ?`: `push` checks `queued < cap` and the
 * bytes, then sets `last_seq+1, queued+1, queued_bytes+size` and inserts the
 * row in the same batch, so the caps hold under any concurrency and count,
 * bytes and rows never disagree. Any change
 * moves one of the two statics (pushes raise last_seq, removals lower
 * queued), so an unchanged pair proves the partition is unchanged.
 *
 * Expiry (`deleteOlderThan`) needs to find old messages across owners:
 * `offline_expiry ((day), owner)` lists the owners that queued something on
 * a day and `offline_expiry_days ((shard), day)` lists the days. Both are
 * written (idempotently) before the push itself, so no message is ever
 * missing from them; entries of days that are entirely expired are removed.
 */
export class CassandraOfflineStore implements OfflineStore {
  private readonly mutex = new KeyedMutex();
  private readonly q: Record<
    | 'state'
    | 'list'
    | 'listLimit'
    | 'rows'
    | 'upTo'
    | 'guard'
    | 'insert'
    | 'deleteRow'
    | 'deleteThrough'
    | 'deleteRange'
    | 'markDay'
    | 'markOwner'
    | 'days'
    | 'owners'
    | 'dropDay'
    | 'dropOwners',
    string
  >;

  constructor(private readonly session: CqlSession) {
    const t = session.table('offline_messages');
    const expiry = session.table('offline_expiry');
    const days = session.table('offline_expiry_days');
    this.q = {
      state: `SELECT last_seq, queued, queued_bytes FROM ${t} WHERE owner = ? LIMIT 1`,
      list: `SELECT seq, ts, xml FROM ${t} WHERE owner = ?`,
      listLimit: `SELECT seq, ts, xml FROM ${t} WHERE owner = ? LIMIT ?`,
      rows: `SELECT seq, ts, bytes, last_seq, queued, queued_bytes FROM ${t} WHERE owner = ?`,
      upTo: `SELECT seq, bytes, last_seq, queued, queued_bytes FROM ${t} WHERE owner = ? AND seq <= ?`,
      guard: `UPDATE ${t} SET last_seq = ?, queued = ?, queued_bytes = ? WHERE owner = ? IF last_seq = ? AND queued = ?`,
      insert: `INSERT INTO ${t} (owner, seq, ts, xml, bytes) VALUES (?, ?, ?, ?, ?)`,
      deleteRow: `DELETE FROM ${t} WHERE owner = ? AND seq = ?`,
      deleteThrough: `DELETE FROM ${t} WHERE owner = ? AND seq <= ?`,
      // Every seq is >= 1, so this range is every row (the statics stay).
      deleteRange: `DELETE FROM ${t} WHERE owner = ? AND seq > 0`,
      markDay: `INSERT INTO ${days} (shard, day) VALUES (0, ?)`,
      markOwner: `INSERT INTO ${expiry} (day, owner) VALUES (?, ?)`,
      days: `SELECT day FROM ${days} WHERE shard = 0 AND day <= ?`,
      owners: `SELECT owner FROM ${expiry} WHERE day = ?`,
      dropDay: `DELETE FROM ${days} WHERE shard = 0 AND day = ?`,
      dropOwners: `DELETE FROM ${expiry} WHERE day = ?`,
    };
  }

  async push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
    maxBytes = 0,
  ): Promise<OfflineMessage | undefined> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkTimestamp(ts);
    checkCap(cap);
    checkCap(maxBytes, 'maxBytes');
    if (cap === 0) return undefined;
    const size = offlineBytes(xml);
    return this.mutex.run(owner, async () => {
      let marked = false;
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const state = await this.state(owner);
        if ((state.queued ?? 0) >= cap) return undefined;
        if (!offlineBytesFit(state.bytes ?? 0, size, maxBytes)) return undefined;
        if (!marked) {
          const day = bucketOf(ts, OFFLINE_BUCKET_MS);
          await this.session.batch(
            'offline.push',
            [
              { query: this.q.markDay, params: [day] },
              { query: this.q.markOwner, params: [day, owner] },
            ],
            'unlogged',
          );
          marked = true;
        }
        const seq = (state.lastSeq ?? 0) + 1;
        const applied = await this.session.casBatch('offline.push', [
          this.guard(owner, state, seq, (state.queued ?? 0) + 1, (state.bytes ?? 0) + size),
          { query: this.q.insert, params: [owner, seq, ts, xml, size] },
        ]);
        if (applied) return { id: formatOfflineId(seq), ts, xml };
        await backoff(attempt);
      }
      throw contention('offline.push');
    });
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkLimit(limit);
    const rows =
      limit === undefined
        ? await this.session.readAll('offline.list', this.q.list, [owner])
        : await this.session.readAll('offline.list', this.q.listLimit, [owner, limit]);
    const messages: OfflineMessage[] = [];
    for (const row of rows) {
      // A partition holding only its statics reads as one row without a seq.
      const seq = optionalNumber(row.get('seq'), 'offline_messages.seq');
      if (seq === undefined) continue;
      messages.push({
        id: formatOfflineId(seq),
        ts: toNumber(row.get('ts'), 'offline_messages.ts'),
        xml: requireString(row.get('xml'), 'offline_messages.xml'),
      });
    }
    return messages;
  }

  async count(owner: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    return (await this.state(owner)).queued ?? 0;
  }

  async remove(owner: string, ids: string[]): Promise<number> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    const wanted = new Set<number>();
    for (const id of ids) {
      const seq = parseOfflineId(id);
      if (seq !== undefined) wanted.add(seq);
    }
    if (wanted.size === 0) return 0;
    const max = Math.max(...wanted);
    return this.mutex.run(owner, () =>
      this.deleteRows('offline.remove', owner, async () => {
        const rows = await this.session.readAll('offline.remove', this.q.upTo, [owner, max]);
        return { rows, doomed: (seq) => wanted.has(seq) };
      }),
    );
  }

  async deleteAll(owner: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    return this.mutex.run(owner, async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const state = await this.state(owner);
        const queued = state.queued ?? 0;
        if (queued === 0) return 0;
        const applied = await this.session.casBatch('offline.deleteAll', [
          this.guard(owner, state, state.lastSeq ?? 0, 0, 0),
          { query: this.q.deleteRange, params: [owner] },
        ]);
        if (applied) return queued;
        await backoff(attempt);
      }
      throw contention('offline.deleteAll');
    });
  }

  async deleteOlderThan(ts: number): Promise<number> {
    this.session.life.assertOpen();
    checkTimestamp(ts);
    const op = 'offline.deleteOlderThan';
    const lastDay = bucketOf(ts, OFFLINE_BUCKET_MS);
    const days = (await this.session.readAll(op, this.q.days, [lastDay]))
      .map((row) => toNumber(row.get('day'), 'offline_expiry_days.day'))
      .filter((day) => bucketStart(day, OFFLINE_BUCKET_MS) < ts);
    const owners = new Set<string>();
    for (const day of days) {
      for (const row of await this.session.readAll(op, this.q.owners, [day])) {
        owners.add(requireString(row.get('owner'), 'offline_expiry.owner'));
      }
    }
    const counts = await mapLimit([...owners], 16, (owner) =>
      this.mutex.run(owner, () => this.expireOwner(owner, ts)),
    );
    // Days that ended before `ts` hold nothing any more: drop their index entries.
    for (const day of days) {
      if (bucketEnd(day, OFFLINE_BUCKET_MS) > ts) continue;
      await this.session.write(op, this.q.dropOwners, [day]);
      await this.session.write(op, this.q.dropDay, [day]);
    }
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Deletes the owner's messages stored before `ts`; the caller holds the owner's mutex. */
  private expireOwner(owner: string, ts: number): Promise<number> {
    const op = 'offline.deleteOlderThan';
    return this.deleteRows(op, owner, async () => {
      const rows = await this.session.readAll(op, this.q.rows, [owner]);
      const old = new Set<number>();
      for (const row of rows) {
        const seq = optionalNumber(row.get('seq'), 'offline_messages.seq');
        if (seq !== undefined && toNumber(row.get('ts'), 'offline_messages.ts') < ts) old.add(seq);
      }
      return { rows, doomed: (seq) => old.has(seq) };
    });
  }

  /**
   * Deletes the rows `read` marks as doomed, one conditional batch at a time
   * (see planOfflineDelete), re-reading after each batch and after a lost
   * race. `read` returns rows with `seq` and the statics, in seq order; it
   * must cover every live row up to the largest doomed one. The caller holds
   * the owner's mutex.
   */
  private async deleteRows(
    operation: string,
    owner: string,
    read: () => Promise<{ rows: Row[]; doomed: (seq: number) => boolean }>,
  ): Promise<number> {
    let deleted = 0;
    let lost = 0;
    for (;;) {
      const { rows, doomed } = await read();
      const live: number[] = [];
      const sizes = new Map<number, number>();
      for (const row of rows) {
        const seq = optionalNumber(row.get('seq'), 'offline_messages.seq');
        if (seq === undefined) continue;
        live.push(seq);
        sizes.set(seq, optionalNumber(row.get('bytes'), 'offline_messages.bytes') ?? 0);
      }
      const plan = planOfflineDelete(live, doomed, DELETE_CHUNK);
      const n = plan.prefix + plan.seqs.length;
      if (n === 0) return deleted;
      const state = stateOfRow(rows[0]!);
      const queued = Math.max(0, (state.queued ?? 0) - n);
      let freed = 0;
      for (const seq of [...live.slice(0, plan.prefix), ...plan.seqs]) freed += sizes.get(seq) ?? 0;
      const bytes = queued === 0 ? 0 : Math.max(0, (state.bytes ?? 0) - freed);
      const statements: Statement[] = [this.guard(owner, state, state.lastSeq ?? 0, queued, bytes)];
      if (plan.through !== undefined) {
        statements.push({ query: this.q.deleteThrough, params: [owner, plan.through] });
      }
      for (const seq of plan.seqs)
        statements.push({ query: this.q.deleteRow, params: [owner, seq] });
      if (await this.session.casBatch(operation, statements)) {
        deleted += n;
        lost = 0;
      } else {
        if (++lost >= CAS_ATTEMPTS) throw contention(operation);
        await backoff(lost);
      }
    }
  }

  private async state(owner: string): Promise<QueueState> {
    const [row] = await this.session.read('offline.state', this.q.state, [owner]);
    return row ? stateOfRow(row) : { lastSeq: null, queued: null, bytes: null };
  }

  /**
   * The static-column update that makes a batch conditional on the state it
   * was computed from (last_seq and queued: every change moves one of them).
   */
  private guard(
    owner: string,
    seen: QueueState,
    lastSeq: number,
    queued: number,
    bytes: number,
  ): Statement {
    return {
      query: this.q.guard,
      params: [lastSeq, queued, bytes, owner, seen.lastSeq, seen.queued],
    };
  }
}

function stateOfRow(row: Row): QueueState {
  return {
    lastSeq: optionalNumber(row.get('last_seq'), 'offline_messages.last_seq') ?? null,
    queued: optionalNumber(row.get('queued'), 'offline_messages.queued') ?? null,
    bytes: optionalNumber(row.get('queued_bytes'), 'offline_messages.queued_bytes') ?? null,
  };
}
