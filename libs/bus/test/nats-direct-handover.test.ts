import { hasBinary, startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrderedConsumer } from '../src/bus.js';
import { connectNatsBus } from '../src/nats-bus.js';
import type { NatsBus, NatsBusOptions } from '../src/nats-bus.js';
import { uniqueToken } from './bus-contract.js';

/**
 * The direct transport's same-process hand-over, configured as in a cluster
 * process (libs/cluster): two NatsBus instances on their own connections act
 * as two processes.
 */
const haveNats = hasBinary('nats-server');
if (!haveNats) console.warn('nats-server not found: skipping the hand-over tests');

/** What `orderingScopeOf` of @parley/routing does (routing depends on the bus, not the reverse). */
function clusterScopeOf(subject: string): string {
  const m = /^(xmpp\.[a-z]+\.\d+)\./.exec(subject);
  return m ? m[1]! : subject;
}

const quiet = { info: () => {}, warn: () => {}, error: console.error };

describe.skipIf(!haveNats)('direct transport: same-process hand-over (cluster scopes)', () => {
  let server: NatsServer;
  const buses: NatsBus[] = [];

  async function processBus(extra: Partial<NatsBusOptions> = {}): Promise<NatsBus> {
    const b = await connectNatsBus({
      servers: server.url,
      logger: quiet,
      stream: { subjects: ['xmpp.r.>', 'xmpp.gw.>', 'xmpp.muc.>'] },
      durableBatchKey: clusterScopeOf,
      durableAckTimeoutMs: 500,
      ...extra,
    });
    buses.push(b);
    return b;
  }

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await server?.stop();
  });

  /**
   * Everything `bus` publishes on NATS until a marker, as seen by a third
   * connection subscribed to `>`: NATS keeps one connection's order, so what
   * was not seen before the marker was never published.
   */
  async function seenOnNats(bus: NatsBus, spy: NatsBus, act: () => Promise<void>) {
    const seen: string[] = [];
    const marker = `marker.${uniqueToken()}`;
    const sub = spy.subscribe('>', (m) => void seen.push(m.subject));
    await spy.flush();
    await act();
    bus.publish(marker, null);
    await vi.waitFor(() => expect(seen).toContain(marker), { timeout: 5000 });
    sub.unsubscribe();
    return seen.slice(0, seen.indexOf(marker));
  }

  it('hands over registry, MUC and gateway subjects in-process: nothing on NATS, not even confirmations', async () => {
    const a = await processBus({ name: 'worker-a' });
    const spy = await processBus({ name: 'spy' });
    const p = 100 + Math.floor(Math.random() * 1000);
    const gw = `gw${uniqueToken()}`;
    const got: string[] = [];
    const record = async (m: { subject: string; data: unknown }) => {
      got.push(`${m.subject}=${String(m.data)}`);
    };
    const consumers = [
      await a.consumeOrdered(`xmpp.r.${p}.*`, `registry-p${p}`, record),
      await a.consumeOrdered(`xmpp.muc.${p}.*`, `muc-p${p}`, record),
      await a.consumeOrdered(`xmpp.gw.${gw}`, `gw-${gw}`, record),
    ];
    const subjects = [
      `xmpp.r.${p}.alice@example%2Ecom`,
      `xmpp.r.${p}.bob@example%2Ecom`,
      `xmpp.muc.${p}.room@conference%2Eexample%2Ecom`,
      `xmpp.gw.${gw}`,
    ];
    const before = a.status().localHandovers;
    const onNats = await seenOnNats(a, spy, async () => {
      await Promise.all(subjects.flatMap((s) => [1, 2, 3].map((n) => a.publishDurable(s, n))));
    });
    expect(onNats).toEqual([]);
    expect(a.status().localHandovers - before).toBe(12);
    for (const s of subjects) {
      expect(got.filter((g) => g.startsWith(`${s}=`))).toEqual([1, 2, 3].map((n) => `${s}=${n}`));
    }
    expect(a.status().pendingDurable).toBe(0);
    await Promise.all(consumers.map((c) => c.stop()));
  });

  it('sends over NATS when hand-over is off, or when the consumer is in another process', async () => {
    const off = await processBus({ name: 'worker-off', durableLocalHandover: false });
    const other = await processBus({ name: 'worker-other' });
    const spy = await processBus({ name: 'spy-2' });
    const p = 2000 + Math.floor(Math.random() * 1000);
    const got: unknown[] = [];
    const c = await off.consumeOrdered(`xmpp.r.${p}.*`, `registry-p${p}`, async (m) => {
      got.push(m.data);
    });
    const subject = `xmpp.r.${p}.carol@example%2Ecom`;
    const local = await seenOnNats(off, spy, () => off.publishDurable(subject, 'local'));
    // The message went out and came back; so did its confirmation (to the sender's inbox).
    expect(local.filter((s) => s === subject)).toHaveLength(1);
    expect(local.some((s) => s.startsWith('_INBOX.'))).toBe(true);
    expect(off.status().localHandovers).toBe(0);

    const remote = await seenOnNats(other, spy, () => other.publishDurable(subject, 'remote'));
    expect(remote.filter((s) => s === subject)).toHaveLength(1);
    expect(other.status().localHandovers).toBe(0);
    expect(got).toEqual(['local', 'remote']);
    await c.stop();
  });

  it('keeps each sender in order while the partition moves between processes under traffic', async () => {
    const a = await processBus({ name: 'mover-a' });
    const b = await processBus({ name: 'mover-b' });
    const senders = { a, b };
    const p = 4000 + Math.floor(Math.random() * 1000);
    const filter = `xmpp.r.${p}.*`;
    const name = `registry-p${p}`;
    const perSender = 3000;
    const moves = 6;
    const handled: Record<'a' | 'b', number[]> = { a: [], b: [] };
    let total = 0;
    let reDelivered = 0;
    const handler = async (m: { data: unknown; deliveries: number }) => {
      const { from, n } = m.data as { from: 'a' | 'b'; n: number };
      handled[from].push(n);
      total++;
      if (m.deliveries > 1) reDelivered++;
      if (total % 7 === 0) await new Promise((r) => setImmediate(r));
    };
    const handoversBefore = { a: a.status().localHandovers, b: b.status().localHandovers };
    let owner: 'a' | 'b' = 'a';
    let consumer: OrderedConsumer = await a.consumeOrdered(filter, name, handler);

    const sends: Promise<void>[] = [];
    const traffic = (async () => {
      for (let n = 0; n < perSender; n++) {
        for (const from of ['a', 'b'] as const) {
          sends.push(senders[from].publishDurable(`${filter.slice(0, -1)}u${n % 11}`, { from, n }));
        }
        if (n % 25 === 24) await new Promise((r) => setTimeout(r, 1));
      }
    })();

    // A lease move: the owner stops (its confirmations and NAKs flushed), then the other starts.
    for (let i = 1; i <= moves; i++) {
      await vi.waitFor(
        () => expect(total).toBeGreaterThanOrEqual((i * 2 * perSender) / (moves + 2)),
        {
          timeout: 20_000,
        },
      );
      await consumer.stop();
      await senders[owner].flush();
      await Promise.all([a.flush(), b.flush()]);
      owner = owner === 'a' ? 'b' : 'a';
      consumer = await senders[owner].consumeOrdered(filter, name, handler);
    }
    await traffic;
    await Promise.all(sends);
    await consumer.idle();

    const expected = [...Array(perSender).keys()];
    // Graceful moves: every message once, in order, whichever path it took.
    expect(handled.a).toEqual(expected);
    expect(handled.b).toEqual(expected);
    expect(reDelivered).toBeGreaterThanOrEqual(0);
    // Both processes handed messages over in-process while they owned the partition.
    expect(a.status().localHandovers - handoversBefore.a).toBeGreaterThan(0);
    expect(b.status().localHandovers - handoversBefore.b).toBeGreaterThan(0);
    expect(a.status().pendingDurable + b.status().pendingDurable).toBe(0);
    await consumer.stop();
  }, 60_000);
});
