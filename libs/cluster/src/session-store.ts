import type { Redis } from 'ioredis';

/** One bound resource, as the registry keeps it (serializable form). */
export interface SessionRecord {
  bare: string;
  resource: string;
  gw: string;
  conn: string;
  available: boolean;
  priority: number;
  presence?: string;
  interested: boolean;
  directed: string[];
  boundAt: number;
  /** Per-session switches of server modules (carbons, blocklist pushes); absent when none is set. */
  flags?: Record<string, boolean>;
  /** Deliveries are parked for it (its gateway died; it waits for resumption). */
  parked?: boolean;
}

/**
 * Where a partition's session table is mirrored, so the partition's next
 * owner can take over with every session, its presence and roster interest.
 * The owner keeps the table in memory and writes every change through.
 */
export interface SessionStore {
  loadPartition(partition: number): Promise<SessionRecord[]>;
  put(partition: number, rec: SessionRecord): Promise<void>;
  remove(partition: number, bare: string, resource: string): Promise<void>;
  /** Total sessions in all partitions (stats). */
  count(): Promise<number>;
  /**
   * Keeps a delivery (serialized) for a resumable session whose gateway
   * died, until the session resumes or ends; forgotten after `ttlMs`.
   */
  park(
    partition: number,
    bare: string,
    resource: string,
    item: string,
    ttlMs: number,
  ): Promise<void>;
  /** Takes every delivery parked for a session, oldest first. */
  unpark(partition: number, bare: string, resource: string): Promise<string[]>;
}

/** Single-node mode: nothing outlives the process, so nothing is mirrored. */
export class NoSessionStore implements SessionStore {
  private readonly parked = new Map<string, string[]>();
  async loadPartition(): Promise<SessionRecord[]> {
    return [];
  }
  async put(): Promise<void> {}
  async remove(): Promise<void> {}
  async count(): Promise<number> {
    return 0;
  }
  async park(_p: number, bare: string, resource: string, item: string): Promise<void> {
    const key = `${bare}/${resource}`;
    const list = this.parked.get(key) ?? [];
    list.push(item);
    this.parked.set(key, list);
  }
  async unpark(_p: number, bare: string, resource: string): Promise<string[]> {
    const key = `${bare}/${resource}`;
    const list = this.parked.get(key) ?? [];
    this.parked.delete(key);
    return list;
  }
}

/** Redis: one hash per partition, field `<bare>/<resource>`, JSON value. */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly partitions: number,
    private readonly prefix = 'parley:sess',
  ) {}

  private key(p: number): string {
    return `${this.prefix}:${p}`;
  }

  async loadPartition(partition: number): Promise<SessionRecord[]> {
    const all = await this.redis.hgetall(this.key(partition));
    const out: SessionRecord[] = [];
    for (const v of Object.values(all)) {
      try {
        out.push(JSON.parse(v) as SessionRecord);
      } catch {
        // A corrupt entry is skipped; the gateway's next bind rewrites it.
      }
    }
    return out;
  }

  async put(partition: number, rec: SessionRecord): Promise<void> {
    await this.redis.hset(this.key(partition), `${rec.bare}/${rec.resource}`, JSON.stringify(rec));
  }

  async remove(partition: number, bare: string, resource: string): Promise<void> {
    await this.redis.hdel(this.key(partition), `${bare}/${resource}`);
  }

  private parkKey(p: number, bare: string, resource: string): string {
    return `parley:park:${p}:${bare}/${resource}`;
  }

  async park(
    p: number,
    bare: string,
    resource: string,
    item: string,
    ttlMs: number,
  ): Promise<void> {
    const key = this.parkKey(p, bare, resource);
    await this.redis.multi().rpush(key, item).pexpire(key, ttlMs).exec();
  }

  async unpark(p: number, bare: string, resource: string): Promise<string[]> {
    const key = this.parkKey(p, bare, resource);
    const res = await this.redis.multi().lrange(key, 0, -1).del(key).exec();
    const items = res?.[0]?.[1];
    return Array.isArray(items) ? (items as string[]) : [];
  }

  async count(): Promise<number> {
    const pipe = this.redis.pipeline();
    for (let p = 0; p < this.partitions; p++) pipe.hlen(this.key(p));
    const res = (await pipe.exec()) ?? [];
    return res.reduce((n, [, v]) => n + Number(v ?? 0), 0);
  }
}
