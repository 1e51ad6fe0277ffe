/**
 * RedisOwnership's clock-driven decisions on a fake clock, against a real
 * redis-server: a member the liveness check says is gone is dropped once
 * every check for `goneConfirmMs` said so (not a check earlier), and one
 * whose "gone" is taken back starts over. Only setInterval and Date are
 * faked: the checks run when the test moves the clock, Redis runs as usual
 * (leases live 60 s of real time, far longer than the test). Nothing waits
 * with vi.waitFor (it would move the clock): the test waits for each check
 * to finish, with everything it caused.
 */
import { startRedisWithClients } from '@parley/testkit';
import type { RedisWithClients } from '@parley/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisOwnership, connectRedis } from '../src/index.js';
import type { OwnershipEvent, Redis } from '../src/index.js';

const PARTITIONS = 8;
const WATCH_MS = 250;
const CONFIRM_MS = 500;

describe('ownership on a fake clock: confirming a member gone', () => {
  let suite: RedisWithClients<Redis>;
  let group = 0;
  beforeAll(async () => {
    suite = await startRedisWithClients((url) => connectRedis(url, 'ownership-clock'));
  });
  afterAll(() => suite.stop());

  /** Members the liveness check says are gone. */
  const dead = new Set<string>();
  const events: OwnershipEvent[] = [];
  /** Checks of the other members a has completed (with all they caused). */
  let checks = 0;
  let checked: (() => void) | undefined;
  let a: RedisOwnership;
  let b: RedisOwnership;

  beforeEach(async () => {
    dead.clear();
    events.length = 0;
    checks = 0;
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const opts = {
      partitions: PARTITIONS,
      group: `clock${++group}`,
      ttlMs: 60_000,
      // Rebalances and renewals on their own only every 30 s: the checks are alone here.
      intervalMs: 30_000,
      watchMs: WATCH_MS,
      goneConfirmMs: CONFIRM_MS,
    };
    const handlers = { acquire: async () => undefined, release: async () => undefined };
    a = new RedisOwnership({
      ...opts,
      redis: suite.connect(),
      workerId: 'a',
      peerGone: async (m) => dead.has(m),
      onEvent: (e) => void events.push(e),
    });
    // Count a's completed checks: its watch timer calls this.watch() on each tick.
    const watcher = a as unknown as { watch: () => Promise<void> };
    const watch = watcher.watch.bind(a);
    watcher.watch = async () => {
      await watch();
      checks++;
      checked?.();
    };
    b = new RedisOwnership({ ...opts, redis: suite.connect(), workerId: 'b' });
    await a.start(handlers);
    await b.start(handlers);
    // a took every partition before b was a member: hand b its share (a rebalance each).
    await (a as unknown as { tick(): Promise<void> }).tick();
    await (b as unknown as { tick(): Promise<void> }).tick();
    expect(a.owned().length + b.owned().length).toBe(PARTITIONS);
    expect(b.owned().length).toBeGreaterThan(0);
    // b dies: no more heartbeats or renewals, nothing released; NATS says it is gone.
    (b as unknown as { stopped: boolean }).stopped = true;
    for (const t of ['timer', 'renewTimer', 'watchTimer'])
      clearInterval((b as unknown as Record<string, NodeJS.Timeout>)[t]);
    dead.add('b');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await a.stop();
  });

  /** Moves the clock to the next check and waits until that check and what it caused are done. */
  const nextCheck = async () => {
    const done = checks + 1;
    const finished = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the check did not finish in 5 s')), 5_000);
      checked = () => {
        if (checks < done) return;
        clearTimeout(timer);
        resolve();
      };
    });
    await vi.advanceTimersByTimeAsync(WATCH_MS);
    await finished;
  };
  const peerGone = () => events.filter((e) => e.kind === 'peer-gone');

  it('drops a member gone for exactly goneConfirmMs, not a check earlier, and takes its partitions', async () => {
    await nextCheck(); // first "gone": 0 ms
    await nextCheck(); // 250 ms
    expect(peerGone()).toEqual([]);
    expect(a.owned().length).toBeLessThan(PARTITIONS);
    await nextCheck(); // 500 ms
    expect(peerGone()).toEqual([{ kind: 'peer-gone', workerId: 'b' }]);
    expect(a.owned()).toHaveLength(PARTITIONS);
  });

  it('starts over when the liveness check takes "gone" back', async () => {
    await nextCheck(); // gone: 0 ms
    await nextCheck(); // 250 ms
    dead.delete('b'); // it reconnected
    await nextCheck();
    dead.add('b'); // gone again: counted from here
    await nextCheck(); // 0 ms
    await nextCheck(); // 250 ms
    expect(peerGone()).toEqual([]);
    await nextCheck(); // 500 ms
    expect(peerGone()).toEqual([{ kind: 'peer-gone', workerId: 'b' }]);
    expect(a.owned()).toHaveLength(PARTITIONS);
  });
});
