import { startRedisWithClients } from '@parley/testkit';
import type { RedisWithClients } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisOwnership, connectRedis, ownerOf, partitionsFor, readTerms } from '../src/index.js';
import type { OwnershipEvent } from '../src/index.js';
import type { Redis } from '../src/index.js';

describe('rendezvous hashing', () => {
  it('assigns every partition to exactly one member, roughly evenly', () => {
    const members = ['w1', 'w2', 'w3'];
    const counts = members.map((m) => partitionsFor(m, members, 64).length);
    expect(counts.reduce((a, b) => a + b)).toBe(64);
    for (const c of counts) expect(c).toBeGreaterThan(10);
  });
  it('moves only the partitions of a member that leaves', () => {
    const before = Array.from({ length: 64 }, (_, p) => ownerOf(p, ['a', 'b', 'c']));
    const after = Array.from({ length: 64 }, (_, p) => ownerOf(p, ['a', 'b']));
    for (let p = 0; p < 64; p++) if (before[p] !== 'c') expect(after[p]).toBe(before[p]);
  });
});

describe('ownership on a real redis-server', () => {
  let suite: RedisWithClients<Redis>;
  const redis = () => suite.connect();
  beforeAll(async () => {
    suite = await startRedisWithClients((url) => connectRedis(url, 'test'));
  });
  afterAll(() => suite.stop());

  it('two workers split the partitions; when one dies the other takes them all', async () => {
    const partitions = 16;
    const held = new Map<number, string>();
    const handlers = (id: string) => ({
      acquire: async (p: number) => {
        expect(held.get(p)).toBeUndefined();
        held.set(p, id);
      },
      release: async (p: number) => {
        expect(held.get(p)).toBe(id);
        held.delete(p);
      },
    });
    const a = new RedisOwnership({
      redis: redis(),
      workerId: 'wa',
      partitions,
      ttlMs: 600,
      intervalMs: 100,
    });
    const b = new RedisOwnership({
      redis: redis(),
      workerId: 'wb',
      partitions,
      ttlMs: 600,
      intervalMs: 100,
    });
    await a.start(handlers('wa'));
    await b.start(handlers('wb'));
    await vi.waitFor(
      () => {
        expect(a.owned().length).toBeGreaterThan(0);
        expect(b.owned().length).toBeGreaterThan(0);
        expect(a.owned().length + b.owned().length).toBe(partitions);
      },
      { timeout: 5000, interval: 50 },
    );
    expect(new Set([...a.owned(), ...b.owned()]).size).toBe(partitions);

    // "Kill" b: it stops heartbeating and renewing without releasing anything.
    const bOwned = b.owned();
    (b as unknown as { stopped: boolean }).stopped = true;
    clearInterval((b as unknown as { timer: NodeJS.Timeout }).timer);
    for (const p of bOwned) held.delete(p); // its process is gone
    const t0 = Date.now();
    await vi.waitFor(() => expect(a.owned()).toHaveLength(partitions), {
      timeout: 5000,
      interval: 50,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
    await a.stop();
    expect(held.size).toBe(0);
  });
});

describe('ownership: fast death detection and Redis losing its data', () => {
  let suite: RedisWithClients<Redis>;
  const redis = () => suite.connect();
  beforeAll(async () => {
    suite = await startRedisWithClients((url) => connectRedis(url, 'test'));
  });
  afterAll(() => suite.stop());
  const wait = { timeout: 8000, interval: 25 };
  /** Counts the rebalance rounds an ownership completes from now on. */
  const rebalancesOf = (o: RedisOwnership): (() => number) => {
    const target = o as unknown as { rebalance: () => Promise<void> };
    const original = target.rebalance.bind(o);
    let done = 0;
    target.rebalance = async () => {
      await original();
      done++;
    };
    return () => done;
  };
  const worker = (id: string, dead: Set<string>, events: OwnershipEvent[] = []) => {
    const acquired: number[] = [];
    const o = new RedisOwnership({
      redis: redis(),
      workerId: id,
      partitions: 16,
      ttlMs: 30_000, // long leases: only the liveness check can move partitions in time
      intervalMs: 100,
      watchMs: 50,
      goneConfirmMs: 100,
      peerGone: async (m) => dead.has(m),
      onEvent: (e) => events.push(e),
    });
    return {
      o,
      acquired,
      handlers: {
        acquire: async (p: number) => void acquired.push(p),
        release: async () => undefined,
      },
    };
  };

  it('takes the partitions of a member whose liveness check says it is gone, without waiting for its leases', async () => {
    const dead = new Set<string>();
    const events: OwnershipEvent[] = [];
    const a = worker('fa', dead, events);
    const b = worker('fb', dead);
    await a.o.start(a.handlers);
    await b.o.start(b.handlers);
    await vi.waitFor(() => {
      expect(a.o.owned().length + b.o.owned().length).toBe(16);
      expect(b.o.owned().length).toBeGreaterThan(0);
    }, wait);
    const gone = b.o.owned();
    // b "dies": it stops renewing; its 30 s leases would hold its partitions for 30 s.
    (b.o as unknown as { stopped: boolean }).stopped = true;
    for (const t of ['timer', 'renewTimer', 'watchTimer'])
      clearInterval((b.o as unknown as Record<string, NodeJS.Timeout>)[t]);
    dead.add('fb');
    const t0 = Date.now();
    await vi.waitFor(() => expect(a.o.owned()).toHaveLength(16), wait);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(events).toContainEqual({ kind: 'peer-gone', workerId: 'fb' });
    // Each moved partition got a new term, which gateways watch.
    const terms = await readTerms(suite.clients[0]!, 16);
    for (const p of gone) expect(terms[p]).toMatch(/^fa\./);
    await a.o.stop();
  });

  it('after Redis loses its data, every member keeps its own partitions (no empty takeover)', async () => {
    const events: OwnershipEvent[] = [];
    const a = worker('ea', new Set(), events);
    const b = worker('eb', new Set());
    await a.o.start(a.handlers);
    await b.o.start(b.handlers);
    await vi.waitFor(() => {
      expect(a.o.owned().length + b.o.owned().length).toBe(16);
      expect(b.o.owned().length).toBeGreaterThan(0);
    }, wait);
    const [ownedA, ownedB] = [a.o.owned(), b.o.owned()];
    const [acqA, acqB] = [a.acquired.length, b.acquired.length];
    const termsBefore = await readTerms(suite.clients[0]!, 16);
    await suite.clients[0]!.flushall();
    await vi.waitFor(() => expect(events.map((e) => e.kind)).toContain('settle'), wait);
    // Leases re-taken by their holders, terms written back unchanged.
    await vi.waitFor(
      async () => expect(await readTerms(suite.clients[0]!, 16)).not.toContain(null),
      wait,
    );
    expect(await readTerms(suite.clients[0]!, 16)).toEqual(termsBefore);
    // Five more rebalances of each worker (within the settle period): nothing moved.
    const [doneA, doneB] = [rebalancesOf(a.o), rebalancesOf(b.o)];
    await vi.waitFor(() => {
      expect(doneA()).toBeGreaterThanOrEqual(5);
      expect(doneB()).toBeGreaterThanOrEqual(5);
    }, wait);
    expect(a.o.owned()).toEqual(ownedA);
    expect(b.o.owned()).toEqual(ownedB);
    expect([a.acquired.length, b.acquired.length]).toEqual([acqA, acqB]);
    await a.o.stop();
    await b.o.stop();
  });
});
