import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Leases } from './leases.js';
import { Membership } from './membership.js';
import { partitionsFor } from './rendezvous.js';

/** Called when this worker gains or loses a partition. */
export interface OwnershipHandlers {
  /** Start consuming the partition; resolve once running. */
  acquire(partition: number): Promise<void>;
  /** Stop consuming the partition; resolve once nothing more is processed for it. */
  release(partition: number): Promise<void>;
  /**
   * The shared store lost its state (e.g. Redis restarted empty) while this
   * worker kept the partition: write the partition's state back.
   */
  resync?(partition: number): Promise<void>;
}

/** Decides which partitions this worker consumes. */
export interface PartitionOwnership {
  start(handlers: OwnershipHandlers): Promise<void>;
  owned(): number[];
  /** Hands every partition back (graceful drain) and stops. */
  stop(): Promise<void>;
}

/** Single-node mode: this worker owns every partition, always. */
export class StaticOwnership implements PartitionOwnership {
  private handlers: OwnershipHandlers | undefined;
  private readonly all: number[];
  constructor(partitions: number) {
    this.all = Array.from({ length: partitions }, (_, i) => i);
  }
  async start(handlers: OwnershipHandlers): Promise<void> {
    this.handlers = handlers;
    await Promise.all(this.all.map((p) => handlers.acquire(p)));
  }
  owned(): number[] {
    return this.all;
  }
  async stop(): Promise<void> {
    const h = this.handlers;
    if (h) await Promise.all(this.all.map((p) => h.release(p)));
  }
}

export interface RedisOwnershipOptions {
  redis: Redis;
  workerId: string;
  partitions: number;
  /**
   * Which family of partitions: workers of one group share its partitions
   * (membership `parley:members:<group>`, leases `parley:lease:<N>` for the
   * registry, `parley:lease:<group>:<N>` otherwise). Default 'registry'.
   */
  group?: string;
  /** Lease and heartbeat lifetime (default 5000 ms): a dead worker's partitions move after at most this. */
  ttlMs?: number;
  /** How often to heartbeat, renew and rebalance (default ttl/4). */
  intervalMs?: number;
  /**
   * Fast death detection (e.g. `BusLiveness.gone`): true only when the member
   * is certainly gone. Members are checked every `watchMs`; a gone member is
   * removed from the membership, its leases are deleted and its partitions
   * taken over at once instead of after its heartbeat and leases expire.
   */
  peerGone?: (workerId: string) => Promise<boolean>;
  /** How often to check the other members with `peerGone` (default 250 ms). */
  watchMs?: number;
  /**
   * A member counts as gone once every check for this long said so (default
   * 600 ms): longer than a NATS client's reconnect wait, so the members that
   * reconnect a little later than others after a NATS restart are not taken
   * for dead.
   */
  goneConfirmMs?: number;
  /** Told about ownership events (metrics): a peer found gone, a settle after Redis lost its data. */
  onEvent?: (event: OwnershipEvent) => void;
  onError?: (err: unknown) => void;
}

export type OwnershipEvent =
  | { kind: 'peer-gone'; workerId: string }
  | { kind: 'settle'; untilMs: number }
  | { kind: 'acquired'; partition: number; term: string }
  | { kind: 'released'; partition: number };

/**
 * The term of a partition: a token its owner writes (`parley:term:<N>`)
 * each time it takes the partition with a fresh load of its state, and
 * writes again unchanged when it keeps the partition through a Redis that
 * lost its data. A changed term tells gateways that the partition's owner
 * may not know their sessions: they register them again.
 */
export function termKey(group: string, partition: number): string {
  return group === 'registry' ? `parley:term:${partition}` : `parley:term:${group}:${partition}`;
}

/** Reads the terms of every partition of a group in one round trip (null: none written). */
export async function readTerms(
  redis: Redis,
  partitions: number,
  group = 'registry',
): Promise<Array<string | null>> {
  const keys = Array.from({ length: partitions }, (_, p) => termKey(group, p));
  return redis.mget(...keys);
}

/**
 * Cluster mode: live workers (heartbeats in Redis) split the partitions by
 * rendezvous hashing; a worker consumes a partition only while it holds the
 * partition's lease. When a worker dies its leases expire and the new
 * owners pick the partitions up within `ttlMs` plus one interval; the
 * durable consumer resumes after the last acknowledged message.
 */
export class RedisOwnership implements PartitionOwnership {
  private readonly leases: Leases;
  private readonly members: Membership;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly mine = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  /** Held partitions whose lease renewal failed: the next rebalance re-takes or releases them. */
  private readonly lost = new Set<number>();
  private handlers: OwnershipHandlers | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly group: string;
  /** The term written for each held partition. */
  private readonly terms = new Map<number, string>();
  /** The cluster epoch last seen (`parley:epoch:<group>`): it changes when Redis loses its data. */
  private epoch: string | undefined;
  /** Until then no partition is taken or given up (members re-take their own leases first). */
  private settleUntil = 0;
  private watchTimer: NodeJS.Timeout | undefined;
  private watching = false;
  /** Members every check found gone since then. */
  private readonly goneSince = new Map<string, number>();

  constructor(private readonly opts: RedisOwnershipOptions) {
    this.ttlMs = opts.ttlMs ?? 5000;
    this.intervalMs = opts.intervalMs ?? Math.max(100, Math.floor(this.ttlMs / 4));
    const group = opts.group ?? 'registry';
    this.group = group;
    this.leases = new Leases(
      opts.redis,
      this.ttlMs,
      group === 'registry' ? 'parley:lease' : `parley:lease:${group}`,
    );
    this.members = new Membership(opts.redis, group, this.ttlMs);
  }

  async start(handlers: OwnershipHandlers): Promise<void> {
    this.handlers = handlers;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    // Heartbeat and lease renewal run on their own, in one round trip: a
    // rebalance busy starting consumers (slow under load) must not let the
    // leases it already holds expire and the partitions flap to another worker.
    this.renewTimer = setInterval(() => void this.renew(), this.intervalMs);
    if (this.opts.peerGone !== undefined)
      this.watchTimer = setInterval(() => void this.watch(), this.opts.watchMs ?? 250);
  }

  /**
   * Checks the other live members; one that is certainly gone (its NATS
   * connection closed) leaves the membership and loses its leases now, and
   * a rebalance runs at once, so its partitions move in well under a second
   * instead of after the lease TTL.
   */
  private async watch(): Promise<void> {
    const gone = this.opts.peerGone;
    if (gone === undefined || this.watching || this.stopped) return;
    this.watching = true;
    try {
      const { workerId, partitions } = this.opts;
      const others = (await this.members.live()).filter((m) => m !== workerId);
      const answers = await Promise.all(others.map(async (m) => [m, await gone(m)] as const));
      const now = Date.now();
      const confirm = this.opts.goneConfirmMs ?? 600;
      const dead: string[] = [];
      for (const m of this.goneSince.keys()) if (!others.includes(m)) this.goneSince.delete(m);
      for (const [m, isGone] of answers) {
        if (!isGone) {
          this.goneSince.delete(m);
          continue;
        }
        const since = this.goneSince.get(m) ?? now;
        this.goneSince.set(m, since);
        if (now - since >= confirm) dead.push(m);
      }
      if (dead.length === 0) return;
      for (const m of dead) {
        this.goneSince.delete(m);
        await this.members.leave(m);
        await this.leases.releaseAll(
          Array.from({ length: partitions }, (_, p) => String(p)),
          m,
        );
        this.opts.onEvent?.({ kind: 'peer-gone', workerId: m });
      }
      // A rebalance already running read the old membership: run one more after it.
      await this.running;
      await this.tick();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.watching = false;
    }
  }

  /**
   * Whether Redis lost its data since the last look: the epoch key is gone
   * (or another worker already wrote a new one). Membership and leases went
   * with it, so for one lease lifetime nobody takes or gives up a partition:
   * every live member first heartbeats and re-takes its own leases (keeping
   * its partitions and their in-memory state), and only then does the
   * rendezvous see the whole membership. Without this, the first worker back
   * would see itself alone, take every partition with an empty state and
   * route messages for online users to offline storage.
   */
  private async checkEpoch(): Promise<void> {
    const key = `parley:epoch:${this.group}`;
    let current = await this.opts.redis.get(key);
    if (current === null) {
      await this.opts.redis.set(key, randomBytes(8).toString('hex'), 'NX');
      current = await this.opts.redis.get(key);
    }
    if (current === null) return;
    // A worker that held nothing (just started) has nothing to protect: it does not wait.
    if (this.epoch !== undefined && current !== this.epoch && this.mine.size > 0) {
      this.settleUntil = Date.now() + this.ttlMs;
      this.opts.onEvent?.({ kind: 'settle', untilMs: this.settleUntil });
    }
    this.epoch = current;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    const { workerId } = this.opts;
    try {
      await this.members.heartbeat(workerId);
      const held = [...this.mine];
      const lost = await this.leases.renewMany(held.map(String), workerId);
      for (const p of lost) this.lost.add(Number(p));
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.renewing = false;
    }
  }

  owned(): number[] {
    return [...this.mine].sort((a, b) => a - b);
  }

  private tick(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.rebalance()
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async rebalance(): Promise<void> {
    const h = this.handlers!;
    const { workerId, partitions } = this.opts;
    await this.checkEpoch();
    const settling = Date.now() < this.settleUntil;
    await this.members.heartbeat(workerId);
    const live = await this.members.live();
    const desired = new Set(
      partitionsFor(workerId, live.includes(workerId) ? live : [...live, workerId], partitions),
    );
    const held = [...this.mine];
    const lost = new Set((await this.leases.renewMany(held.map(String), workerId)).map(Number));
    for (const p of this.lost) lost.add(p);
    this.lost.clear();
    for (const p of held) {
      // While settling, the membership is incomplete: keep what we hold if we still can.
      if ((desired.has(p) || settling) && (!lost.has(p) || (await this.keep(p)))) continue;
      this.mine.delete(p);
      this.terms.delete(p);
      await h.release(p);
      await this.leases.release(String(p), workerId).catch(() => undefined);
      this.opts.onEvent?.({ kind: 'released', partition: p });
    }
    if (settling) return;
    for (const p of desired) {
      if (this.mine.has(p) || this.stopped) continue;
      if (await this.leases.acquire(String(p), workerId)) {
        this.mine.add(p);
        try {
          await h.acquire(p);
        } catch (err) {
          this.mine.delete(p);
          await this.leases.release(String(p), workerId).catch(() => undefined);
          throw err;
        }
        // A new term: gateways re-register their sessions of this partition with us.
        const term = `${workerId}.${randomBytes(6).toString('hex')}`;
        this.terms.set(p, term);
        await this.opts.redis.set(termKey(this.group, p), term);
        this.opts.onEvent?.({ kind: 'acquired', partition: p, term });
      }
    }
  }

  /**
   * Renews the lease of a partition we hold. A lease that vanished (Redis
   * lost its data) rather than passed to someone else is taken again, and
   * the partition's state written back, without stopping its consumer.
   */
  private async keep(p: number): Promise<boolean> {
    const { workerId } = this.opts;
    if (!(await this.leases.acquire(String(p), workerId).catch(() => false))) return false;
    await this.handlers?.resync?.(p);
    // The same term: the state was kept, gateways need not register again.
    const term = this.terms.get(p);
    if (term !== undefined) await this.opts.redis.set(termKey(this.group, p), term);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    await this.running;
    const { workerId } = this.opts;
    await this.members.leave(workerId).catch(() => undefined);
    const h = this.handlers;
    for (const p of [...this.mine]) {
      this.mine.delete(p);
      if (h) await h.release(p);
      await this.leases.release(String(p), workerId).catch(() => undefined);
    }
  }
}
