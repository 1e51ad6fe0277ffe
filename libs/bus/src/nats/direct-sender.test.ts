import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectSender } from './direct-sender.js';

/**
 * The sender's clock, with fake timers: when it sends again, how it probes
 * while nobody consumes, and when it gives up. The wire is a list of frames;
 * confirmations and "no responders" are fed back by hand.
 */
const NO_RESPONDERS = 503;
/** Fake clock start (a clock at 0 would make every "last resend" look recent). */
const T0 = 1_000_000;

function setup(ackTimeoutMs = 2000, retryBudgetMs = 30_000) {
  let onMsg!: (subject: string, data: Uint8Array, code: number | undefined) => void;
  const wire: { subject: string; seq: number; lo: number; attempt: number; at: number }[] = [];
  const sender = new DirectSender(
    {
      subscribe: (_subject, cb) => {
        onMsg = cb;
        return { unsubscribe: () => {} };
      },
      send: (subject, _data, _headers, reply) => {
        const [seq, lo, attempt] = reply.split('.').slice(-3).map(Number) as [
          number,
          number,
          number,
        ];
        wire.push({ subject, seq, lo, attempt, at: Date.now() - T0 });
      },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    },
    { ackTimeoutMs, retryBudgetMs, scopeOf: (s) => s.slice(0, s.lastIndexOf('.')) },
    'inbox',
  );
  const scopeId = 1;
  return {
    sender,
    wire,
    confirm: (upTo: number, nak = false) =>
      onMsg(
        `inbox.${scopeId}.${upTo}`,
        nak ? new Uint8Array([0x72]) : new Uint8Array(0),
        undefined,
      ),
    noResponders: (seq: number) =>
      onMsg(`inbox.${scopeId}.${seq}.1.1`, new Uint8Array(0), NO_RESPONDERS),
  };
}

describe('DirectSender timing', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends unconfirmed messages again, in order, once the confirmation timeout has passed', async () => {
    const { sender, wire, confirm } = setup();
    const done = [1, 2, 3].map((n) => sender.publish(`s.x.${n}`, new Uint8Array([n])));
    expect(wire.map((f) => [f.seq, f.attempt])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    confirm(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(wire).toHaveLength(3); // not yet: 2000 ms is not more than the timeout
    await vi.advanceTimersByTimeAsync(100); // the next 100 ms tick
    expect(wire.slice(3).map((f) => [f.seq, f.lo, f.attempt, f.at])).toEqual([
      [2, 2, 2, 2100],
      [3, 2, 2, 2100],
    ]);
    confirm(3);
    await Promise.all(done);
    expect(sender.pending).toBe(0);
    await sender.close(0);
  });

  it('sends again at once on a NAK, at most every 50 ms', async () => {
    const { sender, wire, confirm } = setup();
    void sender.publish('s.x.1', new Uint8Array(1));
    void sender.publish('s.x.2', new Uint8Array(1));
    confirm(0, true);
    expect(wire.map((f) => f.attempt)).toEqual([1, 1, 2, 2]);
    confirm(0, true); // too soon after the last resend: the next tick does it
    expect(wire).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(100);
    expect(wire.map((f) => f.attempt)).toEqual([1, 1, 2, 2, 3, 3]);
    confirm(2);
    await sender.close(0);
  });

  it('holds a scope nobody consumes, probes with its oldest message, and releases it in order', async () => {
    const { sender, wire, noResponders, confirm } = setup();
    const done = [1, 2].map((n) => sender.publish(`s.x.${n}`, new Uint8Array(1)));
    noResponders(1);
    const late = sender.publish('s.x.3', new Uint8Array(1));
    expect(wire.map((f) => f.seq)).toEqual([1, 2]); // 3 is held
    // Each probe answered "no responders": the wait doubles from 25 ms up to 250 ms
    // (probes go out on the sender's 100 ms tick), so a new owner is found within
    // about a quarter of a second of taking the scope over.
    for (let t = 100; t <= 2000; t += 100) {
      const before = wire.length;
      await vi.advanceTimersByTimeAsync(100);
      for (const f of wire.slice(before)) noResponders(f.seq);
    }
    expect(wire.slice(2).map((f) => [f.seq, f.at])).toEqual(
      [100, 200, 300, 500, 800, 1100, 1400, 1700, 2000].map((at) => [1, at]),
    );
    confirm(1); // a consumer is back: everything held goes out, in order
    expect(wire.slice(11).map((f) => f.seq)).toEqual([2, 3]);
    confirm(3);
    await Promise.all([...done, late]);
    await sender.close(0);
  });

  it('probes a held scope at once when a consumer that reads it starts in this process', async () => {
    const { sender, wire, noResponders, confirm } = setup();
    const done = sender.publish('s.x.1', new Uint8Array(1));
    for (let t = 0; t < 2000; t += 100) {
      const before = wire.length;
      if (t === 0) noResponders(1);
      await vi.advanceTimersByTimeAsync(100);
      for (const f of wire.slice(before)) noResponders(f.seq);
    }
    const probes = wire.length;
    sender.probeHeld((subject) => subject.startsWith('other.'));
    expect(wire).toHaveLength(probes); // not its subjects
    sender.probeHeld((subject) => subject.startsWith('s.x.'));
    expect(wire.slice(probes).map((f) => [f.seq, f.at])).toEqual([[1, 2000]]);
    confirm(1);
    await done;
    await sender.close(0);
  });

  it('rejects what no consumer confirmed within the retry budget, and only that', async () => {
    const { sender, confirm } = setup(2000, 30_000);
    const first = sender.publish('s.x.1', new Uint8Array(1));
    await vi.advanceTimersByTimeAsync(10_000);
    const second = sender.publish('s.x.2', new Uint8Array(1));
    const firstFailed = first.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20_100);
    expect(await firstFailed).toMatchObject({ code: 'timeout' });
    expect(sender.pending).toBe(1);
    confirm(2);
    await second;
    expect(sender.pending).toBe(0);
    await sender.close(0);
  });
});
