/**
 * The S2S pending queue in Redis (cluster): one hash per partition,
 * `parley:s2s:pending:<partition>`, field = entry id, value = the entry as
 * JSON. Entries live only while a connection is set up (seconds), so the
 * hash stays small; `load` sorts by arrival.
 */
import type { Redis } from '@parley/cluster';
import type { PendingEntry, PendingStore } from './pending-store.js';
import { byArrival } from './pending-store.js';

export class RedisPendingStore implements PendingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'parley:s2s:pending:',
  ) {}

  async add(partition: number, entry: PendingEntry): Promise<void> {
    await this.redis.hset(this.key(partition), entry.id, JSON.stringify(entry));
  }

  async remove(partition: number, id: string): Promise<void> {
    await this.redis.hdel(this.key(partition), id);
  }

  async load(partition: number): Promise<PendingEntry[]> {
    const all = await this.redis.hgetall(this.key(partition));
    const out: PendingEntry[] = [];
    const unreadable: string[] = [];
    for (const [id, value] of Object.entries(all)) {
      const e = parse(value);
      if (e === undefined || e.id !== id) unreadable.push(id);
      else out.push(e);
    }
    // An entry nobody can read can be neither sent nor bounced (written by a broken release).
    if (unreadable.length > 0) await this.redis.hdel(this.key(partition), ...unreadable);
    return out.sort(byArrival);
  }

  private key(partition: number): string {
    return `${this.prefix}${partition}`;
  }
}

function parse(value: string): PendingEntry | undefined {
  try {
    const e = JSON.parse(value) as Partial<PendingEntry>;
    if (
      typeof e.id === 'string' &&
      typeof e.seq === 'number' &&
      typeof e.domain === 'string' &&
      typeof e.env === 'object' &&
      e.env !== null &&
      typeof e.env.xml === 'string'
    )
      return e as PendingEntry;
  } catch {
    // not JSON
  }
  return undefined;
}
