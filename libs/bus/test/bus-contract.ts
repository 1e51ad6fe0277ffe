import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bus, DurableMessage, OrderedConsumer } from '../src/bus.js';
import { BusError } from '../src/bus.js';

/** What the contract needs besides the Bus interface: both implementations have it. */
export type ContractBus = Bus & { onError: (err: unknown, subject: string) => void };

export interface ContractOptions {
  /** How long to wait for asynchronous deliveries (NATS needs longer than memory). */
  waitMs?: number;
}

/** A subject token nobody else uses, so tests sharing one server/stream stay apart. */
export function uniqueToken(): string {
  return 't' + randomBytes(6).toString('hex');
}

/**
 * Behaviour every Bus implementation must share: subject matching, queue
 * groups, request/reply errors, handler isolation, durable ordering and
 * durable request/reply. Run with a factory that returns a fresh bus.
 */
export function busContract(
  name: string,
  makeBus: () => Promise<ContractBus>,
  opts: ContractOptions = {},
): void {
  const waitMs = opts.waitMs ?? 2000;
  const wait = { timeout: waitMs, interval: 5 };

  describe(`Bus contract: ${name}`, () => {
    const open: ContractBus[] = [];
    const consumers: OrderedConsumer[] = [];
    const newBus = async (): Promise<ContractBus> => {
      const bus = await makeBus();
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.stop()));
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('delivers in publish order, JSON values intact', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      const got: unknown[] = [];
      bus.subscribe(`c.${s}`, (m) => void got.push(m.data));
      await bus.flush();
      const values: unknown[] = [{ a: 1, b: [true, null, 'x'] }, 'text', 42, null, [1, { c: 'é' }]];
      for (let i = 0; i < 100; i++) bus.publish(`c.${s}`, i);
      for (const v of values) bus.publish(`c.${s}`, v);
      await vi.waitFor(() => expect(got).toHaveLength(105), wait);
      expect(got.slice(0, 100)).toEqual([...Array(100).keys()]);
      expect(got.slice(100)).toEqual(values);
    });

    it('matches * and > wildcards like NATS', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      const star: string[] = [];
      const tail: string[] = [];
      bus.subscribe(`w.${s}.*`, (m) => void star.push(m.subject));
      bus.subscribe(`w.${s}.>`, (m) => void tail.push(m.subject));
      await bus.flush();
      for (const subj of [`w.${s}.a`, `w.${s}.b.c`, `w.${s}`, `w.other.a`]) bus.publish(subj, 1);
      // A marker: a round trip through the bus, behind which everything published before it
      // has been delivered.
      await bus.flush();
      expect(star).toEqual([`w.${s}.a`]);
      expect(tail).toEqual([`w.${s}.a`, `w.${s}.b.c`]);
    });

    it('gives each message to one member of a queue group, and all to plain subscribers', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      const plain: number[] = [];
      const members: number[][] = [[], [], []];
      bus.subscribe(`q.${s}.*`, (m) => void plain.push(m.data as number));
      members.forEach((list) =>
        bus.subscribe(`q.${s}.*`, (m) => void list.push(m.data as number), { queue: 'workers' }),
      );
      await bus.flush();
      for (let i = 0; i < 300; i++) bus.publish(`q.${s}.${i % 7}`, i);
      await vi.waitFor(() => {
        expect(plain).toHaveLength(300);
        expect(members.flat().length).toBeGreaterThanOrEqual(300);
      }, wait);
      await bus.flush(); // the marker: no second delivery of any of them came before it
      expect(members.flat().sort((a, b) => a - b)).toEqual([...Array(300).keys()]);
      expect(members.flat()).toHaveLength(300);
      expect(members.filter((l) => l.length > 0).length).toBeGreaterThan(1);
    });

    it('stops delivering after unsubscribe', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      const got: unknown[] = [];
      const sub = bus.subscribe(`u.${s}`, (m) => void got.push(m.data));
      await bus.flush();
      bus.publish(`u.${s}`, 1);
      await vi.waitFor(() => expect(got).toHaveLength(1), wait);
      sub.unsubscribe();
      await bus.flush();
      bus.publish(`u.${s}`, 2);
      await bus.flush(); // the marker: 2 would have been delivered before it
      expect(got).toEqual([1]);
    });

    it('does request/reply, with no-responders and timeout errors', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      bus.subscribe(`echo.${s}`, (m) => m.respond?.({ echoed: m.data }));
      bus.subscribe(`silent.${s}`, () => {});
      await bus.flush();
      await expect(bus.request(`echo.${s}`, 'hi')).resolves.toEqual({ echoed: 'hi' });
      const nobody = await bus.request(`nobody.${s}`, 1).catch((e: unknown) => e);
      expect(nobody).toBeInstanceOf(BusError);
      expect((nobody as BusError).code).toBe('no-responders');
      const started = Date.now();
      const silent = await bus
        .request(`silent.${s}`, 1, { timeoutMs: 150 })
        .catch((e: unknown) => e);
      expect(silent).toBeInstanceOf(BusError);
      expect((silent as BusError).code).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    });

    it('answers a request from one queue group member', async () => {
      const bus = await newBus();
      const s = uniqueToken();
      let calls = 0;
      for (let i = 0; i < 3; i++) {
        bus.subscribe(
          `svc.${s}`,
          (m) => {
            calls++;
            m.respond?.(i);
          },
          { queue: 'svc' },
        );
      }
      await bus.flush();
      const replies = await Promise.all([...Array(10)].map(() => bus.request(`svc.${s}`, null)));
      expect(replies).toHaveLength(10);
      await bus.flush(); // the marker: a request handed to a second member would have arrived before it
      expect(calls).toBe(10);
    });

    it('isolates failing handlers and reports them', async () => {
      const bus = await newBus();
      const errors: unknown[] = [];
      bus.onError = (e) => errors.push(e);
      const s = uniqueToken();
      const got: unknown[] = [];
      bus.subscribe(`f.${s}`, () => {
        throw new Error('boom');
      });
      bus.subscribe(`f.${s}`, async () => {
        throw new Error('async boom');
      });
      bus.subscribe(`f.${s}`, (m) => void got.push(m.data));
      await bus.flush();
      bus.publish(`f.${s}`, 1);
      bus.publish(`f.${s}`, 2);
      await vi.waitFor(() => {
        expect(got).toHaveLength(2);
        expect(errors).toHaveLength(4);
      }, wait);
      expect(got).toEqual([1, 2]);
    });

    it('rejects bad subjects, and use after close', async () => {
      const bus = await newBus();
      expect(() => bus.publish('a.*', 1)).toThrow(BusError);
      expect(() => bus.publish('a..b', 1)).toThrow(BusError);
      expect(() => bus.subscribe('a.>.b', () => {})).toThrow(BusError);
      await expect(bus.request('a.>', 1)).rejects.toMatchObject({ code: 'bad-subject' });
      await expect(bus.publishDurable('xmpp.r.*.x', 1)).rejects.toMatchObject({
        code: 'bad-subject',
      });
      await bus.close();
      expect(() => bus.publish('a', 1)).toThrow(/closed/);
      await expect(bus.request('a', 1)).rejects.toMatchObject({ code: 'closed' });
      await expect(bus.publishDurable('xmpp.r.1.a', 1)).rejects.toMatchObject({ code: 'closed' });
    });

    it('hands durable messages to consumeOrdered one at a time, in order per filter', async () => {
      const bus = await newBus();
      const p = uniqueToken();
      const seen = new Map<string, number[]>();
      let running = 0;
      let overlap = false;
      for (const part of ['0', '1']) {
        seen.set(part, []);
        consumers.push(
          await bus.consumeOrdered(`xmpp.r.${p}${part}.*`, `c-${p}-${part}`, async (m) => {
            running++;
            if (running > 1) overlap = true;
            await new Promise((r) => setImmediate(r));
            seen.get(part)!.push((m.data as { n: number }).n);
            expect(m.deliveries).toBe(1);
            running--;
          }),
        );
      }
      const sends: Promise<void>[] = [];
      for (let n = 0; n < 400; n++) {
        sends.push(bus.publishDurable(`xmpp.r.${p}${n % 2}.user${n % 5}`, { n }));
      }
      await Promise.all(sends);
      await vi.waitFor(
        () => {
          expect(seen.get('0')).toHaveLength(200);
          expect(seen.get('1')).toHaveLength(200);
        },
        { ...wait, timeout: waitMs * 5 },
      );
      await consumers[0]!.idle();
      await consumers[1]!.idle();
      expect(seen.get('0')).toEqual([...Array(200).keys()].map((i) => i * 2));
      expect(seen.get('1')).toEqual([...Array(200).keys()].map((i) => i * 2 + 1));
      // Two consumers run in parallel, but each one handles one message at a time.
      expect(overlap).toBe(true);
    });

    it('keeps consuming after a handler throws', async () => {
      const bus = await newBus();
      const errors: unknown[] = [];
      bus.onError = (e) => errors.push(e);
      const p = uniqueToken();
      const got: number[] = [];
      consumers.push(
        await bus.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m) => {
          const n = m.data as number;
          if (n % 3 === 0) throw new Error(`fail ${n}`);
          got.push(n);
        }),
      );
      for (let n = 0; n < 30; n++) await bus.publishDurable(`xmpp.r.${p}.x`, n);
      await vi.waitFor(() => expect(got).toHaveLength(20), { ...wait, timeout: waitMs * 2 });
      expect(got).toEqual([...Array(30).keys()].filter((n) => n % 3 !== 0));
      expect(errors).toHaveLength(10);
    });

    it('does durable request/reply through consumeOrdered', async () => {
      const bus = await newBus();
      const p = uniqueToken();
      const order: string[] = [];
      consumers.push(
        await bus.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async (m: DurableMessage) => {
          order.push(String(m.data));
          m.respond?.({ ok: m.data, subject: m.subject });
        }),
      );
      void bus.publishDurable(`xmpp.r.${p}.alice`, 'before');
      const reply = await bus.request(`xmpp.r.${p}.alice`, 'bind', {
        durable: true,
        timeoutMs: waitMs,
      });
      expect(reply).toEqual({ ok: 'bind', subject: `xmpp.r.${p}.alice` });
      expect(order).toEqual(['before', 'bind']);
    });

    it('times out a durable request nobody answers', async () => {
      const bus = await newBus();
      const p = uniqueToken();
      consumers.push(await bus.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async () => {}));
      const err = await bus
        .request(`xmpp.r.${p}.bob`, 1, { durable: true, timeoutMs: 200 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusError);
      expect((err as BusError).code).toBe('timeout');
    });

    it('stop() waits for the handler in flight', async () => {
      const bus = await newBus();
      const p = uniqueToken();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered = false;
      let finished = false;
      const c = await bus.consumeOrdered(`xmpp.r.${p}.*`, `c-${p}`, async () => {
        entered = true;
        await gate;
        finished = true;
      });
      // Not awaited: a transport may resolve it only once the handler is done.
      const sent = bus.publishDurable(`xmpp.r.${p}.x`, 1);
      await vi.waitFor(() => expect(entered).toBe(true), wait);
      let stopped = false;
      const stopping = c.stop().then(() => (stopped = true));
      // The marker: a round trip through the bus; stop() has nothing else to wait for (its other
      // steps are local), so one that did not wait for the handler would have resolved by now.
      await bus.flush();
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(finished).toBe(true);
      await sent;
    });
  });
}
