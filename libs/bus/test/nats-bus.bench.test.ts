import { readFileSync } from 'node:fs';
import { hasBinary, startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectNatsBus } from '../src/nats-bus.js';
import type { NatsBus } from '../src/nats-bus.js';
import { uniqueToken } from './bus-contract.js';

/**
 * Throughput of publishDurable + consumeOrdered against a local nats-server
 * (file storage). Opt-in: BUS_BENCH=1 pnpm vitest run libs/bus/test/nats-bus.bench.test.ts
 */
const enabled = process.env['BUS_BENCH'] === '1' && hasBinary('nats-server');
const total = Number(process.env['BUS_BENCH_MESSAGES'] ?? 50_000);
/** How long a run may take to hand everything over (vi.waitFor options). */
const ALL_DONE = { timeout: 300_000, interval: 5 };

/** CPU time (ms) a process has used so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return Number.NaN;
  }
}

/**
 * Publishes `total` durable messages round-robin over `partitions` subjects
 * of token `p`, numbered per partition (`n`) with a 300-byte payload (about
 * a small chat message envelope) and the fields of `extra()`. Flat out: a
 * turn of the event loop every 1000 messages; paced: 10 per millisecond at
 * most (the offered load, not a wait for anything).
 */
async function publishSpread(
  bus: NatsBus,
  p: string,
  partitions: number,
  opts: { extra?: () => Record<string, unknown>; paced?: boolean } = {},
): Promise<void> {
  const payload = 'x'.repeat(300);
  const perPartition = new Array<number>(partitions).fill(0);
  const sends: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const i = k % partitions;
    sends.push(
      bus.publishDurable(`xmpp.r.${p}${i}.user${k % 97}`, {
        n: perPartition[i]!++,
        ...opts.extra?.(),
        payload,
      }),
    );
    if (opts.paced && k % 10 === 9) await new Promise((r) => setTimeout(r, 1));
    else if (k % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(sends);
}

describe.skipIf(!enabled)('NatsBus throughput', () => {
  let server: NatsServer;
  const buses: NatsBus[] = [];
  const quiet = { info: () => {}, warn: console.warn, error: console.error };
  beforeAll(async () => {
    server = await startNatsServer({ jetstream: true });
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await server?.stop();
  });

  async function run(partitions: number): Promise<void> {
    const gateway = await connectNatsBus({
      servers: server.url,
      name: 'bench-gw',
      logger: quiet,
      durableWindow: Number(process.env['BUS_BENCH_WINDOW'] ?? 256),
    });
    const worker = await connectNatsBus({
      servers: server.url,
      name: 'bench-worker',
      logger: quiet,
    });
    buses.push(gateway, worker);
    const p = uniqueToken();
    const counts = new Array<number>(partitions).fill(0);
    let handled = 0;
    let outOfOrder = 0;
    for (let i = 0; i < partitions; i++) {
      await worker.consumeOrdered(`xmpp.r.${p}${i}.*`, `bench-${p}-${i}`, async (m) => {
        const n = (m.data as { n: number }).n;
        if (n !== counts[i]) outOfOrder++;
        counts[i] = n + 1;
        handled++;
      });
    }
    const serverCpu0 = processCpuMs(server.pid);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await publishSpread(gateway, p, partitions);
    const published = performance.now();
    await vi.waitFor(() => expect(handled).toBeGreaterThanOrEqual(total), ALL_DONE);
    const done = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const nodeUs = Math.round((cpu.user + cpu.system) / total);
    const serverUs = Math.round(((processCpuMs(server.pid) - serverCpu0) * 1000) / total);
    const pubRate = Math.round(total / ((published - started) / 1000));
    const e2eRate = Math.round(total / ((done - started) / 1000));
    console.log(
      `partitions=${partitions} messages=${total}: publishDurable ${pubRate} msg/s, ` +
        `publish+consume ${e2eRate} msg/s (${Math.round(done - started)} ms); CPU per message: ` +
        `node ${nodeUs} µs (publisher and consumer together), nats-server ${serverUs} µs`,
    );
    expect(outOfOrder).toBe(0);
  }

  it('consumeOrdered alone: draining a backlog, one partition', async () => {
    const b = await connectNatsBus({ servers: server.url, name: 'bench-drain', logger: quiet });
    buses.push(b);
    const p = uniqueToken();
    const sends: Promise<void>[] = [];
    for (let n = 0; n < total; n++) sends.push(b.publishDurable(`xmpp.r.${p}.u${n % 97}`, { n }));
    await Promise.all(sends);
    let next = 0;
    let outOfOrder = 0;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await b.consumeOrdered(`xmpp.r.${p}.*`, `drain-${p}`, async (m) => {
      if ((m.data as { n: number }).n !== next) outOfOrder++;
      next++;
    });
    await vi.waitFor(() => expect(next).toBeGreaterThanOrEqual(total), ALL_DONE);
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `backlog of ${total}, one partition: consumeOrdered ${Math.round(total / (ms / 1000))} msg/s, ` +
        `node ${Math.round((cpu.user + cpu.system) / total)} µs CPU per message`,
    );
    expect(outOfOrder).toBe(0);
  }, 600_000);

  /**
   * Direct transport, consumer in the publishing process (a registry worker
   * routing to a partition it owns): the same-process hand-over on and off.
   */
  async function sameProcess(handover: boolean, partitions: number, paced = false): Promise<void> {
    const b = await connectNatsBus({
      servers: server.url,
      name: `bench-local-${handover}`,
      logger: quiet,
      durableLocalHandover: handover,
      durableBatchKey: (s) => /^(xmpp\.[a-z]+\.[^.]+)\./.exec(s)?.[1] ?? s,
    });
    buses.push(b);
    const p = uniqueToken();
    let handled = 0;
    let outOfOrder = 0;
    const latencies: number[] = [];
    for (let i = 0; i < partitions; i++) {
      let next = 0;
      await b.consumeOrdered(`xmpp.r.${p}${i}.*`, `local-${p}-${i}`, async (m) => {
        const d = m.data as { n: number; t: number };
        if (d.n !== next) outOfOrder++;
        next = d.n + 1;
        latencies.push(performance.now() - d.t);
        handled++;
      });
    }
    const serverCpu0 = processCpuMs(server.pid);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await publishSpread(b, p, partitions, { extra: () => ({ t: performance.now() }), paced });
    await vi.waitFor(() => expect(handled).toBeGreaterThanOrEqual(total), ALL_DONE);
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((x, y) => x - y);
    const pct = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(1);
    console.log(
      `direct, same process, hand-over ${handover ? 'on ' : 'off'}, partitions=${partitions}` +
        `${paced ? ', paced' : ''}: ` +
        `${Math.round(total / (ms / 1000))} msg/s; CPU per message: node ` +
        `${Math.round((cpu.user + cpu.system) / total)} µs, nats-server ` +
        `${Math.round(((processCpuMs(server.pid) - serverCpu0) * 1000) / total)} µs; ` +
        `publish→handler p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms; ` +
        `handed over ${b.status().localHandovers}`,
    );
    expect(outOfOrder).toBe(0);
  }

  it('direct, same process: hand-over off', () => sameProcess(false, 16), 600_000);
  it('direct, same process: hand-over on', () => sameProcess(true, 16), 600_000);
  it('direct, same process: hand-over off (again)', () => sameProcess(false, 16), 600_000);
  it('direct, same process: hand-over on (again)', () => sameProcess(true, 16), 600_000);
  it('direct, same process, paced: hand-over off', () => sameProcess(false, 16, true), 600_000);
  it('direct, same process, paced: hand-over on', () => sameProcess(true, 16, true), 600_000);

  /**
   * Direct transport, a chain as in the cluster: a gateway publishes to
   * partition A of a worker, whose handler publishes on (fire and forget) to
   * partition B of the same worker, whose handler publishes on to a second
   * gateway. With causal confirmations the gateway's publish resolves only
   * once the second gateway has confirmed: `confirmed` is that latency.
   */
  async function chain(partitions: number): Promise<void> {
    const scopeOf = (s: string) => /^(xmpp\.[a-z]+\.[^.]+)\./.exec(s)?.[1] ?? s;
    const mk = (name: string) =>
      connectNatsBus({
        servers: server.url,
        name,
        logger: quiet,
        durableBatchKey: scopeOf,
        stream: { subjects: ['xmpp.r.>', 'xmpp.gw.>'] },
      });
    const [g1, worker, g2] = await Promise.all([mk('chain-g1'), mk('chain-w'), mk('chain-g2')]);
    buses.push(g1, worker, g2);
    const p = uniqueToken();
    let delivered = 0;
    const latencies: number[] = [];
    await g2.consumeOrdered(`xmpp.gw.${p}g2.x`, `chain-gw-${p}`, async (m) => {
      latencies.push(performance.now() - (m.data as { t: number }).t);
      delivered++;
    });
    for (let i = 0; i < partitions; i++) {
      await worker.consumeOrdered(`xmpp.r.${p}a${i}.*`, `chain-a-${p}-${i}`, async (m) => {
        void worker.publishDurable(`xmpp.r.${p}b${i}.u`, m.data);
      });
      await worker.consumeOrdered(`xmpp.r.${p}b${i}.*`, `chain-b-${p}-${i}`, async (m) => {
        void worker.publishDurable(`xmpp.gw.${p}g2.x`, m.data);
      });
    }
    const payload = 'x'.repeat(300);
    const serverCpu0 = processCpuMs(server.pid);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const confirmed: number[] = [];
    const sends: Promise<void>[] = [];
    for (let k = 0; k < total; k++) {
      const t = performance.now();
      sends.push(
        g1
          .publishDurable(`xmpp.r.${p}a${k % partitions}.user${k % 97}`, { t, payload })
          .then(() => void confirmed.push(performance.now() - t)),
      );
      if (k % 10 === 9) await new Promise((r) => setTimeout(r, 1)); // paced: the offered load
    }
    await Promise.all(sends);
    await vi.waitFor(() => expect(delivered).toBeGreaterThanOrEqual(total), ALL_DONE);
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const pct = (xs: number[], q: number) =>
      [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))]!.toFixed(1);
    console.log(
      `direct, chain gateway → A → B (same worker) → gateway, partitions=${partitions}, paced: ` +
        `${Math.round(total / (ms / 1000))} msg/s; CPU per message: node ` +
        `${Math.round((cpu.user + cpu.system) / total)} µs (three processes), nats-server ` +
        `${Math.round(((processCpuMs(server.pid) - serverCpu0) * 1000) / total)} µs; ` +
        `publish→delivered p50 ${pct(latencies, 0.5)} ms p99 ${pct(latencies, 0.99)} ms; ` +
        `publish→confirmed p50 ${pct(confirmed, 0.5)} ms p99 ${pct(confirmed, 0.99)} ms`,
    );
  }

  it('direct, chain through one worker (paced)', () => chain(16), 600_000);

  it('one partition', () => run(1), 600_000);
  it('16 partitions', () => run(16), 600_000);
});
