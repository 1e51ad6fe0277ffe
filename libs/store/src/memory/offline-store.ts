import type { OfflineMessage, OfflineStore } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { offlineBytes, offlineBytesFit } from '../shared/offline-bytes.js';
import { formatOfflineId, parseOfflineId } from '../shared/offline-id.js';
import { checkCap, checkJid, checkLimit, checkTimestamp } from '../shared/validate.js';

interface Queue {
  /** Last sequence number handed out; kept when the queue empties so ids never repeat. */
  seq: number;
  messages: Array<{ seq: number; ts: number; xml: string; bytes: number }>;
  /** offlineBytes of the queued messages. */
  bytes: number;
}

export class MemoryOfflineStore implements OfflineStore {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly life: Lifecycle) {}

  async push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
    maxBytes = 0,
  ): Promise<OfflineMessage | undefined> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkTimestamp(ts);
    checkCap(cap);
    checkCap(maxBytes, 'maxBytes');
    let queue = this.queues.get(owner);
    if ((queue?.messages.length ?? 0) >= cap) return undefined;
    const bytes = offlineBytes(xml);
    if (!offlineBytesFit(queue?.bytes ?? 0, bytes, maxBytes)) return undefined;
    if (!queue) {
      queue = { seq: 0, messages: [], bytes: 0 };
      this.queues.set(owner, queue);
    }
    const seq = ++queue.seq;
    queue.messages.push({ seq, ts, xml, bytes });
    queue.bytes += bytes;
    return { id: formatOfflineId(seq), ts, xml };
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkLimit(limit);
    const messages = this.queues.get(owner)?.messages ?? [];
    return messages
      .slice(0, limit)
      .map(({ seq, ts, xml }) => ({ id: formatOfflineId(seq), ts, xml }));
  }

  async count(owner: string): Promise<number> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    return this.queues.get(owner)?.messages.length ?? 0;
  }

  async remove(owner: string, ids: string[]): Promise<number> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    const queue = this.queues.get(owner);
    if (!queue) return 0;
    const doomed = new Set<number>();
    for (const id of ids) {
      const seq = parseOfflineId(id);
      if (seq !== undefined) doomed.add(seq);
    }
    return keep(queue, (m) => !doomed.has(m.seq));
  }

  async deleteAll(owner: string): Promise<number> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    const queue = this.queues.get(owner);
    if (!queue) return 0;
    return keep(queue, () => false);
  }

  async deleteOlderThan(ts: number): Promise<number> {
    this.life.assertOpen();
    checkTimestamp(ts);
    let deleted = 0;
    for (const queue of this.queues.values()) deleted += keep(queue, (m) => m.ts >= ts);
    return deleted;
  }
}

/** Keeps the messages of `queue` that `wanted` accepts; returns how many went. */
function keep(queue: Queue, wanted: (m: Queue['messages'][number]) => boolean): number {
  const before = queue.messages.length;
  queue.messages = queue.messages.filter(wanted);
  queue.bytes = queue.messages.reduce((n, m) => n + m.bytes, 0);
  return before - queue.messages.length;
}
