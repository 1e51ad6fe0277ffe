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
  onError?: (err: unknown) => void;
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

  constructor(private readonly opts: RedisOwnershipOptions) {
    this.ttlMs = opts.ttlMs ?? 5000;
    this.intervalMs = opts.intervalMs ?? Math.max(100, Math.floor(this.ttlMs / 4));
    const group = opts.group ?? 'registry';
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
      if (desired.has(p) && (!lost.has(p) || (await this.keep(p)))) continue;
      this.mine.delete(p);
      await h.release(p);
      await this.leases.release(String(p), workerId).catch(() => undefined);
    }
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
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
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
