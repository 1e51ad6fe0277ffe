import { describe, expect, it, vi } from 'vitest';
import type { DurableMessage } from '../src/bus.js';
import type { DirectFrame, DirectTap } from '../src/nats-bus.js';
import { uniqueToken } from './bus-contract.js';
import { haveNats, natsSuite, prng } from './nats-fixture.js';

/**
 * The direct transport under injected faults, against a real nats-server:
 * frames (messages and confirmations) lost, duplicated and reordered through
 * the `directTap` seam, and consumers stopped or killed mid-stream.
 *
 * Every run asserts that each message is handled, in order per sender, and
 * exactly once while one consumer runs (the sequence numbers absorb lost,
 * repeated and reordered frames); duplicates happen only when a consumer dies
 * with handled messages it had not confirmed yet, and only for those.
 */
if (!haveNats) console.warn('nats-server not found: skipping the direct transport fault tests');

const ACK_TIMEOUT_MS = 500;
/** The sender checks for unconfirmed messages every 100 ms. */
const TICK_MS = 100;
/** Room for a loaded CI machine on top of the documented times. */
const SLACK_MS = 1000;

type Fault = 'pass' | 'drop' | 'dup' | 'swap';

/**
 * A tap that applies `decide` to every frame: `drop` loses it, `dup` sends it
 * twice, `swap` holds it until the next frame has gone (or 20 ms, if none
 * comes). Counts what it did.
 */
function faultyTap(decide: (f: DirectFrame) => Fault) {
  const stats = { frames: 0, drop: 0, dup: 0, swap: 0, resent: 0 };
  let held: (() => void) | undefined;
  let heldTimer: NodeJS.Timeout | undefined;
  const release = () => {
    clearTimeout(heldTimer);
    const h = held;
    held = undefined;
    h?.();
  };
  const tap: DirectTap = (frame, pass) => {
    stats.frames++;
    if (frame.kind === 'message' && !frame.reply!.endsWith('.1')) stats.resent++;
    const fault = decide(frame);
    if (fault === 'drop') {
      stats.drop++;
      return;
    }
    if (fault === 'swap' && held === undefined) {
      stats.swap++;
      held = pass;
      heldTimer = setTimeout(release, 20);
      return;
    }
    pass();
    if (fault === 'dup') {
      stats.dup++;
      pass();
    }
    release();
  };
  return { tap, stats };
}

/** Handled messages per sender, with the delivery count of each. */
class Log {
  readonly values = new Map<string, number[]>();
  readonly deliveries = new Map<string, number[]>();
  count = 0;
  record(m: DurableMessage): void {
    const { from, n } = m.data as { from: string; n: number };
    const v = this.values.get(from) ?? [];
    const d = this.deliveries.get(from) ?? [];
    v.push(n);
    d.push(m.deliveries);
    this.values.set(from, v);
    this.deliveries.set(from, d);
    this.count++;
  }
  of(from: string): number[] {
    return this.values.get(from) ?? [];
  }
}

const range = (from: number, to: number) => [...Array(to - from).keys()].map((i) => i + from);

describe.skipIf(!haveNats)('direct transport under faults', () => {
  const nats = natsSuite({ durableAckTimeoutMs: ACK_TIMEOUT_MS });
  const bus = nats.bus;

  /**
   * Two senders, one consumer, `perSender` messages each, faults from
   * `decide` on every frame of all three (messages and confirmations).
   * `sameProcess`: sender 1 is the consumer's own bus, so its messages are
   * handed over in-process (the tap sits before that choice).
   */
  async function run(decide: (f: DirectFrame) => Fault, sameProcess: boolean, perSender = 1000) {
    const faults = faultyTap(decide);
    const consumerBus = await bus({ directTap: faults.tap });
    const s1 = sameProcess ? consumerBus : await bus({ directTap: faults.tap });
    const s2 = await bus({ directTap: faults.tap });
    const p = uniqueToken();
    const log = new Log();
    const c = await consumerBus.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
      log.record(m);
    });
    await consumerBus.flush(); // the subscription is in place at the server
    const sends: Promise<void>[] = [];
    for (let n = 0; n < perSender; n++) {
      sends.push(s1.publishDurable(`xmpp.r.${p}.u${n % 5}`, { from: 's1', n }));
      sends.push(s2.publishDurable(`xmpp.r.${p}.v${n % 3}`, { from: 's2', n }));
      // Paced, part of the scenario (frames of both senders interleave), not a wait for anything.
      if (n % 50 === 49) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(sends);
    await c.idle();
    // Each message once, in order, although frames were lost, repeated or swapped.
    expect(log.of('s1')).toEqual(range(0, perSender));
    expect(log.of('s2')).toEqual(range(0, perSender));
    for (const b of new Set([consumerBus, s1, s2])) expect(b.status().pendingDurable).toBe(0);
    if (sameProcess) expect(s1.status().localHandovers).toBeGreaterThan(0);
    await c.stop();
    return faults.stats;
  }

  for (const sameProcess of [false, true]) {
    const where = sameProcess ? 'one sender in the consumer process' : 'all over NATS';

    it(`loses messages and confirmations (10 %): all handled once, in order (${where})`, async () => {
      const rnd = prng(sameProcess ? 11 : 12);
      const stats = await run(() => (rnd() < 0.1 ? 'drop' : 'pass'), sameProcess, 400);
      expect(stats.drop).toBeGreaterThan(20);
      expect(stats.resent).toBeGreaterThan(0);
    });

    it(`duplicates messages and confirmations (20 %): all handled once (${where})`, async () => {
      const rnd = prng(sameProcess ? 21 : 22);
      const stats = await run(() => (rnd() < 0.2 ? 'dup' : 'pass'), sameProcess);
      expect(stats.dup).toBeGreaterThan(100);
    });

    it(`reorders messages and confirmations (20 %): all handled once, in order (${where})`, async () => {
      const rnd = prng(sameProcess ? 31 : 32);
      const stats = await run(() => (rnd() < 0.2 ? 'swap' : 'pass'), sameProcess);
      expect(stats.swap).toBeGreaterThan(100);
    });

    it(`survives all three at once (${where})`, async () => {
      const rnd = prng(sameProcess ? 41 : 42);
      const stats = await run(
        () => {
          const x = rnd();
          return x < 0.05 ? 'drop' : x < 0.1 ? 'dup' : x < 0.15 ? 'swap' : 'pass';
        },
        sameProcess,
        400,
      );
      expect(stats.drop * stats.dup * stats.swap).toBeGreaterThan(0);
    });
  }

  it('a lost last message is sent again after the confirmation timeout', async () => {
    let dropped = 0;
    const faults = faultyTap((f) => (f.kind === 'message' && dropped++ === 0 ? 'drop' : 'pass'));
    const pub = await bus({ directTap: faults.tap });
    const sub = await bus();
    const p = uniqueToken();
    const log = new Log();
    const c = await sub.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => log.record(m));
    await sub.flush(); // the subscription is in place at the server
    const t0 = performance.now();
    const sent = pub.publishDurable(`xmpp.r.${p}.x`, { from: 'pub', n: 0 });
    // Nothing comes after it, so nothing reveals the gap: the timeout does.
    await vi.waitFor(() => expect(log.count).toBe(1), {
      timeout: ACK_TIMEOUT_MS + TICK_MS + SLACK_MS,
      interval: 5,
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS);
    await sent;
    expect(log.deliveries.get('pub')).toEqual([2]);
    await c.stop();
  });

  it('a lost message followed by others is asked for again at once (NAK), not after the timeout', async () => {
    let messages = 0;
    const faults = faultyTap((f) => (f.kind === 'message' && ++messages === 3 ? 'drop' : 'pass'));
    // A long timeout: if recovery waited for it, the bounded wait below would fail.
    const pub = await bus({ directTap: faults.tap, durableAckTimeoutMs: 20_000 });
    const sub = await bus();
    const p = uniqueToken();
    const log = new Log();
    const c = await sub.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => log.record(m));
    await sub.flush(); // the subscription is in place at the server
    const sends = range(0, 10).map((n) => pub.publishDurable(`xmpp.r.${p}.x`, { from: 'pub', n }));
    await vi.waitFor(() => expect(log.count).toBe(10), { timeout: SLACK_MS, interval: 5 });
    await Promise.all(sends);
    expect(log.of('pub')).toEqual(range(0, 10));
    expect(log.deliveries.get('pub')![2]).toBe(2);
    await c.stop();
  });

  it('a lost last confirmation: the message comes again, is confirmed again, not handled twice', async () => {
    let confirms = 0;
    const faults = faultyTap((f) => (f.kind === 'confirm' && confirms++ === 0 ? 'drop' : 'pass'));
    const pub = await bus();
    const sub = await bus({ directTap: faults.tap });
    const p = uniqueToken();
    const log = new Log();
    const c = await sub.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => log.record(m));
    await sub.flush(); // the subscription is in place at the server
    const t0 = performance.now();
    let confirmedAt = 0;
    const sent = pub
      .publishDurable(`xmpp.r.${p}.x`, { from: 'pub', n: 0 })
      .then(() => (confirmedAt = performance.now()));
    await vi.waitFor(() => expect(confirmedAt).toBeGreaterThan(0), {
      timeout: ACK_TIMEOUT_MS + TICK_MS + SLACK_MS,
      interval: 5,
    });
    await sent;
    expect(confirmedAt - t0).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS);
    expect(faults.stats.drop).toBe(1);
    expect(log.of('pub')).toEqual([0]);
    expect(log.deliveries.get('pub')).toEqual([1]);
    await c.stop();
  });

  it('a consumer stopped mid-stream hands over to another process: in order, nothing twice', async () => {
    const pub = await bus();
    const first = await bus();
    const second = await bus();
    const p = uniqueToken();
    const log = new Log();
    let stopping: Promise<void> | undefined;
    const c1 = await first.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
      log.record(m);
      if (log.count === 300) stopping = c1.stop();
    });
    const sends = range(0, 1000).map((n) =>
      pub.publishDurable(`xmpp.r.${p}.u${n % 7}`, { from: 'pub', n }),
    );
    await vi.waitFor(() => expect(stopping).toBeDefined(), { timeout: 10_000 });
    await stopping;
    const c2 = await second.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => log.record(m));
    await Promise.all(sends);
    await c2.idle();
    expect(log.of('pub')).toEqual(range(0, 1000));
    await c2.stop();
  });

  it('a consumer killed mid-stream: the next one resumes in order; fewer than 256 messages come twice', async () => {
    const relay = await nats.relay();
    const pub = await bus();
    let dead = false;
    let lastConfirmOut = 0;
    const doomed = await bus({
      servers: `nats://127.0.0.1:${relay.port}`,
      reconnectTimeWaitMs: 50,
      // Once dead, nothing leaves the process: no confirmation, no NAK.
      directTap: (f, pass) => {
        if (dead) return;
        if (f.kind === 'confirm')
          lastConfirmOut = Number(f.subject.slice(f.subject.lastIndexOf('.') + 1));
        pass();
      },
    });
    const heir = await bus();
    const p = uniqueToken();
    const filter = `xmpp.r.${p}.*`;
    const log = new Log();
    let bury!: () => void;
    const grave = new Promise<void>((r) => (bury = r));
    nats.cleanup(() => bury()); // lets the dead consumer's bus close at the end
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await doomed.consumeOrdered(filter, `c-${p}`, async (m) => {
      if (dead) return grave; // a dead process handles nothing more
      const n = (m.data as { n: number }).n;
      if (n === 0) await gate;
      log.record(m);
      // Dies right after handling 400, in the middle of a burst handled within one turn.
      if (n === 400) dead = true;
    });
    let marked = false;
    doomed.subscribe(`marker.${p}`, () => void (marked = true));
    await doomed.flush();
    const total = 1500;
    const sends: Promise<void>[] = [];
    let confirmed = 0;
    for (let n = 0; n < total; n++) {
      const sent = pub.publishDurable(`xmpp.r.${p}.u${n % 7}`, { from: 'pub', n });
      sends.push(sent.then(() => void confirmed++));
    }
    // Once the marker is in, so is everything before it: the consumer has a backlog,
    // which it handles in one go once the first message is done.
    pub.publish(`marker.${p}`, null);
    await vi.waitFor(() => expect(marked).toBe(true), { timeout: 5000 });
    release();
    await vi.waitFor(() => expect(dead).toBe(true), { timeout: 10_000 });
    const handledBeforeDeath = log.count;
    // What it wrote before dying reaches the sender; then its connection goes.
    await vi.waitFor(() => expect(confirmed).toBe(lastConfirmOut), { timeout: 5000 });
    relay.target = 1; // nothing listens there: it never comes back
    relay.cut();
    await vi.waitFor(() => expect(doomed.status().connected).toBe(false));
    // The lease moves: another process takes the partition.
    const takeoverAt = performance.now();
    const c = await heir.consumeOrdered(filter, `c-${p}`, async (m) => log.record(m));
    // The senders find the new owner by probing (no responders) or their timeout.
    await vi.waitFor(() => expect(log.count).toBeGreaterThan(handledBeforeDeath), {
      timeout: ACK_TIMEOUT_MS + TICK_MS + SLACK_MS,
      interval: 5,
    });
    expect(performance.now() - takeoverAt).toBeLessThan(ACK_TIMEOUT_MS + TICK_MS + SLACK_MS);
    await Promise.all(sends);
    await c.idle();

    const got = log.of('pub');
    const deliveries = log.deliveries.get('pub')!;
    expect(got.slice(0, handledBeforeDeath)).toEqual(range(0, 401));
    // The heir starts right after the last confirmation that left the dead consumer
    // (message n has sequence number n + 1), then goes on in order.
    const after = got.slice(handledBeforeDeath);
    expect(after).toEqual(range(lastConfirmOut, total));
    // Duplicates: what it handled after that confirmation, each one a re-delivery;
    // a confirmation leaves at least every 256 handled messages, even mid-burst.
    const duplicates = 401 - lastConfirmOut;
    expect(duplicates).toBeGreaterThan(0);
    expect(duplicates).toBeLessThan(256);
    for (let i = 0; i < duplicates; i++) {
      expect(deliveries[handledBeforeDeath + i]).toBeGreaterThanOrEqual(2);
    }
    console.log(`killed consumer: handled up to 400, ${duplicates} duplicate(s)`);
    await c.stop();
  });
});
