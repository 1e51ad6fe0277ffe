/**
 * Where the hot state of rooms is mirrored: occupants, roles, the
 * discussion history, and everything about temporary rooms. The owning
 * worker keeps it in memory and writes every change through, so the next
 * owner of a partition (after a failover or a rolling restart) restores
 * the rooms with their occupants. Persistent configuration, affiliations
 * and subject live in the RoomStore.
 */
import type { Redis } from '@parley/cluster';
import type { RoomAffiliationItem, RoomConfigValue } from '@parley/store';
import type { HistoryEntry, OccupantSession } from './room.js';
import type { Role } from './room-config.js';

export interface RoomMeta {
  jid: string;
  createdAt: number;
  persistent: boolean;
  locked: boolean;
  salt: string;
  creator?: string;
  /** Temporary rooms only: persistent ones keep these in the RoomStore. */
  config?: Record<string, RoomConfigValue>;
  affiliations?: RoomAffiliationItem[];
  subject?: { text: string; nick: string; ts: number };
  avatar?: string[];
}

export interface OccupantRecord {
  nick: string;
  bare: string;
  role: Role;
  sessions: OccupantSession[];
}

export interface HotRoom {
  meta: RoomMeta;
  occupants: OccupantRecord[];
  history: HistoryEntry[];
}

export interface MucStateStore {
  /** True when the state outlives this process (cluster mode). */
  readonly shared: boolean;
  loadPartition(partition: number): Promise<HotRoom[]>;
  putMeta(partition: number, meta: RoomMeta): Promise<void>;
  putOccupant(room: string, occupant: OccupantRecord): Promise<void>;
  removeOccupant(room: string, nick: string): Promise<void>;
  pushHistory(room: string, entry: HistoryEntry, max: number): Promise<void>;
  /** Keeps only the `max` newest history entries. */
  trimHistory(room: string, max: number): Promise<void>;
  /** History entries kept for a room, oldest first. */
  loadHistory(room: string): Promise<HistoryEntry[]>;
  /** Forgets a room (destroyed; or persistent and empty: then its history may stay). */
  removeRoom(partition: number, room: string, opts?: { keepHistory?: boolean }): Promise<void>;
  /** Hot rooms of every partition that are temporary (the service's room list). */
  temporaryRooms(): Promise<RoomMeta[]>;
  /** Rooms a user created that still exist (muc.maxRoomsPerUser). */
  ownedCount(bare: string): Promise<number>;
  addOwned(bare: string, room: string): Promise<void>;
  removeOwned(bare: string, room: string): Promise<void>;
  /** True exactly once per fresh state: the caller then rebuilds the owned index from the RoomStore. */
  claimOwnedSeed(): Promise<boolean>;
}

/** Single-node mode: nothing is mirrored (rooms live in this process's memory). */
export class LocalMucStateStore implements MucStateStore {
  readonly shared = false;
  private readonly owned = new Map<string, Set<string>>();
  private seeded = false;

  async loadPartition(): Promise<HotRoom[]> {
    return [];
  }
  async putMeta(): Promise<void> {}
  async putOccupant(): Promise<void> {}
  async removeOccupant(): Promise<void> {}
  async pushHistory(): Promise<void> {}
  async trimHistory(): Promise<void> {}
  async loadHistory(): Promise<HistoryEntry[]> {
    return [];
  }
  async removeRoom(): Promise<void> {}
  async temporaryRooms(): Promise<RoomMeta[]> {
    return [];
  }
  async ownedCount(bare: string): Promise<number> {
    return this.owned.get(bare)?.size ?? 0;
  }
  async addOwned(bare: string, room: string): Promise<void> {
    let s = this.owned.get(bare);
    if (!s) this.owned.set(bare, (s = new Set()));
    s.add(room);
  }
  async removeOwned(bare: string, room: string): Promise<void> {
    const s = this.owned.get(bare);
    s?.delete(room);
    if (s?.size === 0) this.owned.delete(bare);
  }
  async claimOwnedSeed(): Promise<boolean> {
    if (this.seeded) return false;
    this.seeded = true;
    return true;
  }
}

function parse<T>(s: string | null | undefined): T | undefined {
  if (!s) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined; // a corrupt entry is skipped; the owner rewrites it on the next change
  }
}

/**
 * Redis: `parley:muc:<p>` (hash room → meta JSON), `parley:muc:occ:<room>`
 * (hash nick → occupant JSON), `parley:muc:hist:<room>` (list, oldest
 * first), `parley:muc:owned:<bare>` (set of rooms).
 */
export class RedisMucStateStore implements MucStateStore {
  readonly shared = true;

  constructor(
    private readonly redis: Redis,
    private readonly partitions: number,
    private readonly prefix = 'parley:muc',
  ) {}

  private metaKey(p: number): string {
    return `${this.prefix}:${p}`;
  }
  private occKey(room: string): string {
    return `${this.prefix}:occ:${room}`;
  }
  private histKey(room: string): string {
    return `${this.prefix}:hist:${room}`;
  }
  private ownedKey(bare: string): string {
    return `${this.prefix}:owned:${bare}`;
  }

  async loadPartition(partition: number): Promise<HotRoom[]> {
    const metas = Object.values(await this.redis.hgetall(this.metaKey(partition)))
      .map((v) => parse<RoomMeta>(v))
      .filter((m): m is RoomMeta => m !== undefined && typeof m.jid === 'string');
    if (metas.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const m of metas) {
      pipe.hgetall(this.occKey(m.jid));
      pipe.lrange(this.histKey(m.jid), 0, -1);
    }
    const res = (await pipe.exec()) ?? [];
    return metas.map((meta, i) => {
      const occ = (res[2 * i]?.[1] ?? {}) as Record<string, string>;
      const hist = (res[2 * i + 1]?.[1] ?? []) as string[];
      return {
        meta,
        occupants: Object.values(occ)
          .map((v) => parse<OccupantRecord>(v))
          .filter((o): o is OccupantRecord => o !== undefined),
        history: hist
          .map((v) => parse<HistoryEntry>(v))
          .filter((h): h is HistoryEntry => h !== undefined),
      };
    });
  }

  async putMeta(partition: number, meta: RoomMeta): Promise<void> {
    await this.redis.hset(this.metaKey(partition), meta.jid, JSON.stringify(meta));
  }

  async putOccupant(room: string, occupant: OccupantRecord): Promise<void> {
    await this.redis.hset(this.occKey(room), occupant.nick, JSON.stringify(occupant));
  }

  async removeOccupant(room: string, nick: string): Promise<void> {
    await this.redis.hdel(this.occKey(room), nick);
  }

  async pushHistory(room: string, entry: HistoryEntry, max: number): Promise<void> {
    const k = this.histKey(room);
    if (max <= 0) {
      await this.redis.del(k);
      return;
    }
    await this.redis.multi().rpush(k, JSON.stringify(entry)).ltrim(k, -max, -1).exec();
  }

  async trimHistory(room: string, max: number): Promise<void> {
    const k = this.histKey(room);
    if (max <= 0) await this.redis.del(k);
    else await this.redis.ltrim(k, -max, -1);
  }

  async loadHistory(room: string): Promise<HistoryEntry[]> {
    return (await this.redis.lrange(this.histKey(room), 0, -1))
      .map((v) => parse<HistoryEntry>(v))
      .filter((h): h is HistoryEntry => h !== undefined);
  }

  async removeRoom(
    partition: number,
    room: string,
    opts?: { keepHistory?: boolean },
  ): Promise<void> {
    const m = this.redis.multi().hdel(this.metaKey(partition), room).del(this.occKey(room));
    if (!opts?.keepHistory) m.del(this.histKey(room));
    await m.exec();
  }

  async temporaryRooms(): Promise<RoomMeta[]> {
    const pipe = this.redis.pipeline();
    for (let p = 0; p < this.partitions; p++) pipe.hvals(this.metaKey(p));
    const res = (await pipe.exec()) ?? [];
    const out: RoomMeta[] = [];
    for (const [, vals] of res) {
      for (const v of (vals ?? []) as string[]) {
        const m = parse<RoomMeta>(v);
        if (m && !m.persistent) out.push(m);
      }
    }
    return out;
  }

  async ownedCount(bare: string): Promise<number> {
    return this.redis.scard(this.ownedKey(bare));
  }

  async addOwned(bare: string, room: string): Promise<void> {
    await this.redis.sadd(this.ownedKey(bare), room);
  }

  async removeOwned(bare: string, room: string): Promise<void> {
    await this.redis.srem(this.ownedKey(bare), room);
  }

  async claimOwnedSeed(): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:owned-seeded`, '1', 'NX')) === 'OK';
  }
}
