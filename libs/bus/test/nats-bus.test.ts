import { inspect } from 'node:util';
import { hasBinary, startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectNatsBus } from '../src/nats-bus.js';
import type { DurableTransport, NatsBus, NatsBusEvent, NatsBusOptions } from '../src/nats-bus.js';
import type { BusLogger } from '../src/nats/logger.js';
import { decodePayload } from '../src/nats/codec.js';
import { DEFAULT_STREAM } from '../src/nats/stream.js';
import { busContract, uniqueToken } from './bus-contract.js';

const haveNats = hasBinary('nats-server');
if (!haveNats) console.warn('nats-server not found: skipping the NATS bus tests');

const logs: string[] = [];
const logger: BusLogger = {
  info: (m, f) => logs.push(`info ${m} ${inspect(f ?? {}, { breakLength: Infinity })}`),
  warn: (m, f) => logs.push(`warn ${m} ${inspect(f ?? {}, { breakLength: Infinity })}`),
  error: (m, f) => logs.push(`error ${m} ${inspect(f ?? {}, { breakLength: Infinity })}`),
};

let server: NatsServer;
const buses: NatsBus[] = [];

let transport: DurableTransport = 'direct';

const waiting = (timeout: number) => ({ timeout, interval: 5 });

/** Reads the server's state of the default JetStream stream, on a connection of its own. */
async function jetstreamState<T>(
  read: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>,
): Promise<T> {
  const nc = await connect({ servers: server.url });
  try {
    return await read(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

async function bus(extra: Partial<NatsBusOptions> = {}): Promise<NatsBus> {
  const b = await connectNatsBus({
    servers: server.url,
    logger,
    durableTransport: transport,
    ...(transport === 'direct' ? { durableAckTimeoutMs: 500 } : {}),
    ...extra,
  });
  buses.push(b);
  return b;
}

describe.skipIf(!haveNats).each(['direct', 'jetstream'] as const)('NatsBus (%s)', (mode) => {
  const jetstreamOnly = it.skipIf(mode !== 'jetstream');
  beforeAll(async () => {
    transport = mode;
    server = await startNatsServer({ jetstream: true });
  });
  afterAll(async () => {
    if (process.env['BUS_DEBUG'] !== undefined) console.log(logs.join('\n'));
    const t0 = Date.now();
    await Promise.all(buses.map((b) => b.close()));
    const t1 = Date.now();
    await server?.stop();
    if (process.env['BUS_DEBUG'] !== undefined)
      console.log('close', t1 - t0, 'stop', Date.now() - t1);
  });

  busContract('NatsBus', () => bus(), { waitMs: 5000 });

  jetstreamOnly(
    'creates the stream idempotently when several processes start at once',
    async () => {
      const name = `S_${uniqueToken()}`;
      const subjects = [`race.${uniqueToken()}.>`];
      const all = await Promise.all(
        [...Array(6)].map(() => bus({ stream: { name, subjects, maxAgeMs: 60_000 } })),
      );
      expect(all.every((b) => b.status().connected)).toBe(true);
      // A later start with other limits updates the stream in place.
      await bus({ stream: { name, subjects, maxAgeMs: 120_000 } });
      await Promise.all(all.map((b) => b.close()));
    },
  );

  it('refuses subjects and filters outside the stream, and a name reused for another filter', async () => {
    const b = await bus();
    const p = uniqueToken();
    await expect(b.publishDurable(`other.${p}`, 1)).rejects.toMatchObject({ code: 'bad-subject' });
    await expect(b.request(`other.${p}`, 1, { durable: true })).rejects.toMatchObject({
      code: 'bad-subject',
    });
    await expect(b.consumeOrdered(`other.${p}.*`, `c-${p}`, async () => {})).rejects.toMatchObject({
      code: 'bad-subject',
    });
    await expect(
      b.consumeOrdered(`xmpp.r.${p}.*`, 'bad.name', async () => {}),
    ).rejects.toMatchObject({ code: 'bad-subject' });
    const c = await b.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async () => {});
    await c.stop();
    await expect(b.consumeOrdered(`xmpp.r.${p}x.*`, `c-${p}`, async () => {})).rejects.toThrow(
      /filters/,
    );
  });

  it('keeps the order of 5,000 durable messages across fetch batches', async () => {
    const b = await bus();
    const p = uniqueToken();
    const got: number[] = [];
    const c = await b.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
      got.push(m.data as number);
    });
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 5000; n++) sends.push(b.publishDurable(`xmpp.r.${p}.u${n % 13}`, n));
    await Promise.all(sends);
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(5000), waiting(30_000));
    await c.idle();
    expect(got).toEqual([...Array(5000).keys()]);
    await c.stop();
  });

  it('resumes exactly after the last acknowledged message, in another process too', async () => {
    const a = await bus();
    const p = uniqueToken();
    const filter = `xmpp.r.${p}.*`;
    const name = `c-${p}`;
    const first: number[] = [];
    let c1Stop: Promise<void> | undefined;
    const c1 = await a.consumeOrdered(filter, name, async (m) => {
      first.push(m.data as number);
      if (first.length === 300) c1Stop = c1.stop(); // stop mid-batch, not awaited here
    });
    // Not awaited yet: with the direct transport a publish resolves once handled.
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 1000; n++) sends.push(a.publishDurable(`xmpp.r.${p}.x`, n));
    await vi.waitFor(() => expect(c1Stop).toBeDefined(), waiting(10_000));
    await c1Stop;
    // Messages published together may travel in one batch, which a stopping
    // consumer finishes: it stops at 300 or at the end of that batch.
    const cut1 = first.length;
    expect(cut1).toBeGreaterThanOrEqual(300);
    expect(first).toEqual([...Array(cut1).keys()]);

    // Same process, same name: continues where the first stopped.
    const second: number[] = [];
    let c2Stop: Promise<void> | undefined;
    const c2 = await a.consumeOrdered(filter, name, async (m) => {
      second.push(m.data as number);
      expect(m.deliveries).toBeGreaterThanOrEqual(1);
      if (second.length === 200) c2Stop = c2.stop();
    });
    await vi.waitFor(() => expect(c2Stop).toBeDefined(), waiting(10_000));
    await c2Stop;
    const cut2 = cut1 + second.length;
    expect(second).toEqual([...Array(second.length).keys()].map((i) => i + cut1));

    // Another connection (another process), same name: continues after the second.
    const b = await bus();
    const third: number[] = [];
    const c3 = await b.consumeOrdered(filter, name, async (m) => {
      third.push(m.data as number);
    });
    await vi.waitFor(
      () => expect(third.length).toBeGreaterThanOrEqual(1000 - cut2),
      waiting(10_000),
    );
    await c3.idle();
    expect(third).toEqual([...Array(1000 - cut2).keys()].map((i) => i + cut2));
    await Promise.all(sends);
    await c3.stop();
  });

  it('runs one consumer per name at a time within a process', async () => {
    const a = await bus();
    const p = uniqueToken();
    let running = 0;
    let overlap = false;
    const got: number[] = [];
    const handler = async (m: { data: unknown }) => {
      running++;
      if (running > 1) overlap = true;
      await new Promise((r) => setImmediate(r));
      got.push(m.data as number);
      running--;
    };
    const c1 = await a.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, handler);
    for (let n = 0; n < 100; n++) void a.publishDurable(`xmpp.r.${p}.x`, n);
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(10), waiting(10_000));
    const c2 = await a.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, handler);
    // The second consumer exists while the first one goes on for ten more messages (or to the
    // end): a second one running at the same time would have overlapped meanwhile.
    const more = Math.min(got.length + 10, 100);
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(more), waiting(10_000));
    await c1.stop();
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(100), waiting(10_000));
    await c2.idle();
    expect(overlap).toBe(false);
    expect(got).toEqual([...Array(100).keys()]);
    await c2.stop();
  });

  it('takes over in order from an owner that died mid-message', async () => {
    const a = await bus();
    const b = await bus();
    const p = uniqueToken();
    const filter = `xmpp.r.${p}.*`;
    const name = `c-${p}`;
    const firstOwner: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await a.consumeOrdered(filter, name, async (m) => {
      const n = m.data as number;
      if (n === 100) await gate; // stuck: the owner is as good as dead
      firstOwner.push(n);
    });
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 400; n++) sends.push(a.publishDurable(`xmpp.r.${p}.x`, n));
    if (mode === 'jetstream') await Promise.all(sends);
    await vi.waitFor(() => expect(firstOwner).toHaveLength(100), waiting(10_000));
    // A lease takes a while to expire; by then the acks the owner sent have landed: JetStream's
    // ack floor is just before the stream message (a batch) carrying 100, the one it is stuck in.
    if (mode === 'jetstream') {
      await vi.waitFor(async () => {
        const body = await jetstreamState(async (jsm) => {
          const info = await jsm.consumers.info(DEFAULT_STREAM, name);
          const seq = info.ack_floor.stream_seq + 1;
          return decodePayload((await jsm.streams.getMessage(DEFAULT_STREAM, { seq }))!.data);
        });
        // A batch is a list of [subject, payload]; a message on its own is its payload.
        const carried = Array.isArray(body) ? body.map((m) => (m as [string, unknown])[1]) : [body];
        expect(carried).toContain(100);
      }, waiting(10_000));
    } else {
      // Direct: every message handled (0..99) is confirmed to its sender.
      await vi.waitFor(() => expect(a.status().pendingDurable).toBe(300), waiting(10_000));
    }

    // The partition moves: the new owner must start at 100, not at what was fetched after it.
    const next: { n: number; deliveries: number }[] = [];
    const c = await b.consumeOrdered(filter, name, async (m) => {
      next.push({ n: m.data as number, deliveries: m.deliveries });
    });
    await vi.waitFor(() => expect(next.at(-1)?.n).toBe(399), waiting(10_000));
    await c.idle();
    // In order, nothing skipped, starting at the message the old owner never
    // finished, or at the start of the batch that carried it (a batch is
    // acknowledged as a whole, so its handled part comes again).
    const start = next[0]!.n;
    expect(start).toBeLessThanOrEqual(100);
    expect(start).toBeGreaterThan(100 - 32);
    expect(next.map((x) => x.n)).toEqual([...Array(400 - start).keys()].map((i) => i + start));
    expect(next[0]!.deliveries).toBeGreaterThanOrEqual(2);
    // (The last ones were fetched by the old owner too when they travelled in batches.)
    expect(next.at(-1)!.deliveries).toBeGreaterThanOrEqual(1);
    await Promise.all(sends);
    release();
    await c.stop();
  });

  const directOnly = it.skipIf(mode !== 'direct');

  directOnly('holds messages while nobody consumes, then delivers them in order', async () => {
    let probes = 0;
    const a = await bus({
      directTap: (frame, pass) => {
        // A message sent again (its attempt, the reply's last token, above 1): a probe.
        if (frame.kind === 'message' && Number(frame.reply?.split('.').at(-1)) > 1) probes++;
        pass();
      },
    });
    const b = await bus();
    const p = uniqueToken();
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 200; n++) sends.push(a.publishDurable(`xmpp.r.${p}.u${n % 3}`, n));
    // "No responders": held, probing with the oldest message; after three unanswered probes
    // all 200 are still held.
    await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(3), waiting(10_000));
    expect(a.status().pendingDurable).toBe(200);
    const got: number[] = [];
    const c = await b.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
      got.push(m.data as number);
    });
    await Promise.all(sends);
    expect(got).toEqual([...Array(200).keys()]);
    expect(a.status().pendingDurable).toBe(0);
    await c.stop();
  });

  directOnly(
    'hands over from a consumer whose connection died, in order, losing nothing',
    async () => {
      const pub = await bus();
      const first = await bus();
      const second = await bus();
      const p = uniqueToken();
      const got: number[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let closed: Promise<void> | undefined;
      await first.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
        got.push(m.data as number);
        if (m.data === 150) {
          // The owner dies mid-stream: its connection goes, this handler never finishes in time.
          closed = first.close();
          await gate;
        }
      });
      const sends: Promise<void>[] = [];
      for (let n = 0; n < 400; n++) sends.push(pub.publishDurable(`xmpp.r.${p}.x`, n));
      await vi.waitFor(() => expect(got).toContain(150), waiting(10_000));
      const c = await second.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
        got.push(m.data as number);
      });
      await Promise.all(sends);
      await c.idle();
      // At least once and in order: after 150 (handled, never confirmed) comes 150 again or 151.
      const i = got.indexOf(150);
      const rest = got.slice(i + 1);
      expect(got.slice(0, i + 1)).toEqual([...Array(151).keys()]);
      expect(rest[0]! <= 151 && rest[0]! >= 100).toBe(true);
      expect(rest).toEqual([...Array(400 - rest[0]!).keys()].map((k) => k + rest[0]!));
      release();
      await closed;
      await c.stop();
    },
  );

  directOnly('rejects a message no consumer confirmed within the retry budget', async () => {
    const a = await bus({ durableRetryMs: 600 });
    const p = uniqueToken();
    const err = await a.publishDurable(`xmpp.r.${p}.x`, 1).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(a.status().pendingDurable).toBe(0);
  });

  it('reconnects by itself after a NATS restart and loses no durable message', async () => {
    // JetStream recovering its stores after the restart has taken more than
    // the default 30 s retry budget on a loaded CI machine: allow 60 s.
    const pub = await bus({ name: 'restart-pub', durableRetryMs: 60_000 });
    const sub = await bus({ name: 'restart-sub' });
    const events: NatsBusEvent['type'][] = [];
    pub.onStatus((e) => events.push(e.type));
    const p = uniqueToken();
    const got: number[] = [];
    const c = await sub.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
      got.push(m.data as number);
    });
    const total = 3000;
    const sends: Promise<void>[] = [];
    let restarted: Promise<void> | undefined;
    for (let n = 0; n < total; n++) {
      sends.push(pub.publishDurable(`xmpp.r.${p}.u${n % 7}`, n));
      if (n === 1000) restarted = server.restart();
      // Paced (part of the scenario, not a wait for anything): the restart comes in the middle
      // of the stream, with publishes before, during and after it.
      if (n % 100 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await restarted;
    await Promise.all(sends);
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(total), waiting(60_000));
    await c.idle();
    expect(got).toEqual([...Array(total).keys()]);
    expect(events).toContain('disconnect');
    expect(events).toContain('reconnect');
    expect(pub.status()).toMatchObject({ connected: true, reconnecting: false, pendingDurable: 0 });

    // Core pub/sub works again on both connections.
    const core: unknown[] = [];
    sub.subscribe(`after.${p}`, (m) => void core.push(m.data));
    await sub.flush();
    pub.publish(`after.${p}`, 'hello');
    await vi.waitFor(() => expect(core).toHaveLength(1), waiting(5000));
    await c.stop();
  }, 150_000); // a restart under a loaded machine: the waits inside allow 60 s

  jetstreamOnly('re-creates a memory-storage stream lost in a restart and carries on', async () => {
    const name = `MEM_${uniqueToken()}`;
    const p = uniqueToken();
    const stream = { name, subjects: [`mem.${p}.>`], storage: 'memory' as const };
    const pub = await bus({ stream });
    const sub = await bus({ stream });
    const got: number[] = [];
    const c = await sub.consumeOrdered(`mem.${p}.*`, `c-${p}`, async (m) => {
      got.push(m.data as number);
    });
    for (let n = 0; n < 100; n++) await pub.publishDurable(`mem.${p}.x`, n);
    await vi.waitFor(() => expect(got).toHaveLength(100), waiting(10_000));
    await server.restart();
    const sends: Promise<void>[] = [];
    for (let n = 100; n < 200; n++) sends.push(pub.publishDurable(`mem.${p}.x`, n));
    await Promise.all(sends);
    await vi.waitFor(() => expect(got).toHaveLength(200), waiting(20_000));
    expect(got).toEqual([...Array(200).keys()]);
    await c.stop();
  });

  it('buffers core publishes while disconnected and sends them in order', async () => {
    const b = await bus({ name: 'buffer' });
    const p = uniqueToken();
    const got: number[] = [];
    b.subscribe(`buf.${p}`, (m) => void got.push(m.data as number));
    await b.flush();
    const restarting = server.restart();
    await vi.waitFor(() => expect(b.status().connected).toBe(false), waiting(5000));
    for (let n = 0; n < 50; n++) b.publish(`buf.${p}`, n);
    expect(b.status().buffered).toBe(50);
    await restarting;
    await vi.waitFor(() => expect(got).toHaveLength(50), waiting(10_000));
    expect(got).toEqual([...Array(50).keys()]);
    expect(b.status().buffered).toBe(0);
  });

  it('drops publishes beyond the reconnect buffer and counts them', async () => {
    const b = await bus({ name: 'overflow', reconnectBufferBytes: 2000 });
    const restarting = server.restart();
    await vi.waitFor(() => expect(b.status().connected).toBe(false), waiting(5000));
    for (let n = 0; n < 100; n++) b.publish(`overflow.x`, 'x'.repeat(50));
    const s = b.status();
    expect(s.buffered).toBeGreaterThan(0);
    expect(s.dropped).toBe(100 - s.buffered);
    await restarting;
    await vi.waitFor(() => expect(b.status().connected).toBe(true), waiting(10_000));
    expect(logs.some((l) => l.includes('reconnect buffer full'))).toBe(true);
  });
});
