import type { OfflineMessage, OfflineStore } from '../contracts.js';
import { offlineBytes, offlineBytesFit } from '../shared/offline-bytes.js';
import { formatOfflineId, parseOfflineId } from '../shared/offline-id.js';
import { checkCap, checkJid, checkLimit, checkTimestamp } from '../shared/validate.js';
import type { LmdbEnv, OfflineMeta } from './env.js';
import { MAX, asTuple, checkKeySize } from './keys.js';

/** Expired messages deleted per transaction, so expiry never holds the write lock for long. */
const EXPIRY_BATCH = 5_000;

/**
 * offline-messages: [owner, seq] -> {ts, xml} (a queue is one range scan in
 * arrival order); offline-by-time: [ts, owner, seq] -> true (expiry is one
 * range scan); offline-meta: owner -> {seq, count, bytes}. Every change
 * touches all three in one transaction, and push checks the caps (messages,
 * bytes) inside it, so concurrent pushes for one owner can never overfill
 * the queue.
 */
export class LmdbOfflineStore implements OfflineStore {
  constructor(private readonly env: LmdbEnv) {}

  async push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
    maxBytes = 0,
  ): Promise<OfflineMessage | undefined> {
    checkOwner(owner);
    checkTimestamp(ts);
    checkCap(cap);
    checkCap(maxBytes, 'maxBytes');
    const { offlineMessages, offlineByTime } = this.env.dbs;
    const size = offlineBytes(xml);
    return this.env.write('offline.push', () => {
      const meta = this.meta(owner);
      if (meta.count >= cap) return undefined;
      const bytes = meta.bytes ?? this.queuedBytes(owner);
      if (!offlineBytesFit(bytes, size, maxBytes)) return undefined;
      const seq = meta.seq + 1;
      void offlineMessages.put([owner, seq], { ts, xml });
      void offlineByTime.put([ts, owner, seq], true);
      this.setMeta(owner, { seq, count: meta.count + 1, bytes: bytes + size });
      return { id: formatOfflineId(seq), ts, xml };
    });
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    checkOwner(owner);
    checkLimit(limit);
    return this.env.read('offline.list', (snapshot) => {
      const range = this.env.dbs.offlineMessages.getRange({
        ...snapshot,
        start: [owner],
        end: [owner, MAX],
        ...(limit === undefined ? {} : { limit }),
      });
      return Array.from(range, ({ key, value }) => {
        const [, seq] = asTuple<[string, number]>(key, 'sn', 'offline-messages');
        return { id: formatOfflineId(seq), ts: value.ts, xml: value.xml };
      });
    });
  }

  async count(owner: string): Promise<number> {
    checkOwner(owner);
    return this.env.read(
      'offline.count',
      (snapshot) => this.env.dbs.offlineMeta.get(owner, snapshot)?.count ?? 0,
    );
  }

  async remove(owner: string, ids: string[]): Promise<number> {
    checkOwner(owner);
    const seqs = new Set<number>();
    for (const id of ids) {
      const seq = parseOfflineId(id);
      if (seq !== undefined) seqs.add(seq);
    }
    if (seqs.size === 0) return 0;
    return this.env.write('offline.remove', () => {
      let removed = 0;
      let bytes = 0;
      for (const seq of seqs) {
        const size = this.removeMessage(owner, seq);
        if (size === undefined) continue;
        removed++;
        bytes += size;
      }
      this.uncount(owner, removed, bytes);
      return removed;
    });
  }

  async deleteAll(owner: string): Promise<number> {
    checkOwner(owner);
    const { offlineMessages } = this.env.dbs;
    return this.env.write('offline.deleteAll', () => {
      const keys = Array.from(offlineMessages.getKeys({ start: [owner], end: [owner, MAX] }));
      let removed = 0;
      let bytes = 0;
      for (const key of keys) {
        const [, seq] = asTuple<[string, number]>(key, 'sn', 'offline-messages');
        const size = this.removeMessage(owner, seq);
        if (size === undefined) continue;
        removed++;
        bytes += size;
      }
      this.uncount(owner, removed, bytes);
      return removed;
    });
  }

  async deleteOlderThan(ts: number): Promise<number> {
    checkTimestamp(ts);
    const { offlineByTime } = this.env.dbs;
    let total = 0;
    for (;;) {
      const removed = await this.env.write('offline.deleteOlderThan', () => {
        const keys = Array.from(offlineByTime.getKeys({ end: [ts], limit: EXPIRY_BATCH }));
        const perOwner = new Map<string, { n: number; bytes: number }>();
        for (const key of keys) {
          const [, owner, seq] = asTuple<[number, string, number]>(key, 'nsn', 'offline-by-time');
          const size = this.removeMessage(owner, seq);
          if (size !== undefined) {
            const seen = perOwner.get(owner) ?? { n: 0, bytes: 0 };
            perOwner.set(owner, { n: seen.n + 1, bytes: seen.bytes + size });
          } else {
            void offlineByTime.remove(key); // index entry without its message
          }
        }
        let removed = 0;
        for (const [owner, { n, bytes }] of perOwner) {
          this.uncount(owner, n, bytes);
          removed += n;
        }
        return { scanned: keys.length, removed };
      });
      total += removed.removed;
      if (removed.scanned < EXPIRY_BATCH) return total;
    }
  }

  /**
   * Inside a write transaction: deletes one message and its time index
   * entry; returns its offlineBytes, or undefined when there was none.
   */
  private removeMessage(owner: string, seq: number): number | undefined {
    const { offlineMessages, offlineByTime } = this.env.dbs;
    const record = offlineMessages.get([owner, seq]);
    if (!record) return undefined;
    void offlineMessages.remove([owner, seq]);
    void offlineByTime.remove([record.ts, owner, seq]);
    return offlineBytes(record.xml);
  }

  /** Inside a write transaction: offlineBytes of every message queued for `owner`. */
  private queuedBytes(owner: string): number {
    let bytes = 0;
    for (const { value } of this.env.dbs.offlineMessages.getRange({
      start: [owner],
      end: [owner, MAX],
    }))
      bytes += offlineBytes(value.xml);
    return bytes;
  }

  /** Inside a write transaction. */
  private meta(owner: string): OfflineMeta {
    return this.env.dbs.offlineMeta.get(owner) ?? { seq: 0, count: 0 };
  }

  private setMeta(owner: string, meta: OfflineMeta): void {
    void this.env.dbs.offlineMeta.put(owner, meta);
  }

  /** Inside a write transaction: lowers the owner's queued count by `n` and bytes by `bytes`. */
  private uncount(owner: string, n: number, bytes: number): void {
    if (n === 0) return;
    const meta = this.meta(owner);
    const count = Math.max(0, meta.count - n);
    // Metadata from before the byte bound stays without bytes (counted at the next push).
    const left = count === 0 ? 0 : meta.bytes === undefined ? undefined : meta.bytes - bytes;
    this.setMeta(owner, {
      seq: meta.seq,
      count,
      ...(left !== undefined ? { bytes: Math.max(0, left) } : {}),
    });
  }
}

function checkOwner(owner: string): void {
  checkJid(owner, 'owner');
  checkKeySize(owner);
}
