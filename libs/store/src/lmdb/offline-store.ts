import type { OfflineMessage, OfflineStore } from '../contracts.js';
import { formatOfflineId, parseOfflineId } from '../shared/offline-id.js';
import { checkCap, checkJid, checkLimit, checkTimestamp } from '../shared/validate.js';
import type { LmdbEnv, OfflineMeta } from './env.js';
import { MAX, asTuple, checkKeySize } from './keys.js';

/** Expired messages deleted per transaction, so expiry never holds the write lock for long. */
const EXPIRY_BATCH = 5_000;

/**
 * offline-messages: [owner, seq] -> {ts, xml} (a queue is one range scan in
 * arrival order); offline-by-time: [ts, owner, seq] -> true (expiry is one
 * range scan); offline-meta: owner -> {seq, count}. Every change touches all
 * three in one transaction, and push checks the cap inside it, so concurrent
 * pushes for one owner can never overfill the queue.
 */
export class LmdbOfflineStore implements OfflineStore {
  constructor(private readonly env: LmdbEnv) {}

  async push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
  ): Promise<OfflineMessage | undefined> {
    checkOwner(owner);
    checkTimestamp(ts);
    checkCap(cap);
    const { offlineMessages, offlineByTime } = this.env.dbs;
    return this.env.write('offline.push', () => {
      const meta = this.meta(owner);
      if (meta.count >= cap) return undefined;
      const seq = meta.seq + 1;
      void offlineMessages.put([owner, seq], { ts, xml });
      void offlineByTime.put([ts, owner, seq], true);
      this.setMeta(owner, { seq, count: meta.count + 1 });
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
      for (const seq of seqs) {
        if (this.removeMessage(owner, seq)) removed++;
      }
      this.uncount(owner, removed);
      return removed;
    });
  }

  async deleteAll(owner: string): Promise<number> {
    checkOwner(owner);
    const { offlineMessages } = this.env.dbs;
    return this.env.write('offline.deleteAll', () => {
      const keys = Array.from(offlineMessages.getKeys({ start: [owner], end: [owner, MAX] }));
      let removed = 0;
      for (const key of keys) {
        const [, seq] = asTuple<[string, number]>(key, 'sn', 'offline-messages');
        if (this.removeMessage(owner, seq)) removed++;
      }
      this.uncount(owner, removed);
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
        const perOwner = new Map<string, number>();
        for (const key of keys) {
          const [, owner, seq] = asTuple<[number, string, number]>(key, 'nsn', 'offline-by-time');
          if (this.removeMessage(owner, seq)) {
            perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1);
          } else {
            void offlineByTime.remove(key); // index entry without its message
          }
        }
        for (const [owner, n] of perOwner) this.uncount(owner, n);
        return { scanned: keys.length, removed: [...perOwner.values()].reduce((a, b) => a + b, 0) };
      });
      total += removed.removed;
      if (removed.scanned < EXPIRY_BATCH) return total;
    }
  }

  /** Inside a write transaction: deletes one message and its time index entry. */
  private removeMessage(owner: string, seq: number): boolean {
    const { offlineMessages, offlineByTime } = this.env.dbs;
    const record = offlineMessages.get([owner, seq]);
    if (!record) return false;
    void offlineMessages.remove([owner, seq]);
    void offlineByTime.remove([record.ts, owner, seq]);
    return true;
  }

  /** Inside a write transaction. */
  private meta(owner: string): OfflineMeta {
    return this.env.dbs.offlineMeta.get(owner) ?? { seq: 0, count: 0 };
  }

  private setMeta(owner: string, meta: OfflineMeta): void {
    void this.env.dbs.offlineMeta.put(owner, meta);
  }

  /** Inside a write transaction: lowers the owner's queued count by `n`. */
  private uncount(owner: string, n: number): void {
    if (n === 0) return;
    const meta = this.meta(owner);
    this.setMeta(owner, { seq: meta.seq, count: Math.max(0, meta.count - n) });
  }
}

function checkOwner(owner: string): void {
  checkJid(owner, 'owner');
  checkKeySize(owner);
}
