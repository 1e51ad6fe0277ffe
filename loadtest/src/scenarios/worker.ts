/**
 * A generator worker process: drives its share of the sessions of one
 * scenario, reports cumulative counters and a latency histogram to the
 * coordinator every second over the IPC channel, and waits at barriers.
 * Started by the coordinator as `node scenarios-main.js __worker` under
 * `prlimit --nofile=...` (its own open-file limit).
 */
import { LoadClient } from '../client.js';
import type { LoadClientOptions } from '../client.js';
import { errorText, fromPattern } from '../util.js';
import { Histogram } from './histogram.js';
import { scenarioByName } from './registry.js';
import type { FromWorker, ToWorker, WorkerContext, WorkerCounters } from './types.js';
import { zeroCounters } from './types.js';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

/** A counting semaphore for negotiations in flight. */
export class Gate {
  private waiters: (() => void)[] = [];
  inUse = 0;
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.inUse < this.limit) {
      this.inUse++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inUse--;
  }
}

/** Source addresses of worker `index`: 127.0.<index+1>.1 .. 127.0.<index+1>.n. */
export function sourceAddresses(index: number, n: number): string[] {
  if (n <= 0) return [];
  const third = (index % 254) + 1;
  return Array.from({ length: n }, (_, k) => `127.${Math.floor(index / 254)}.${third}.${k + 1}`);
}

export async function runWorker(start: Extract<ToWorker, { t: 'start' }>): Promise<void> {
  const scenario = scenarioByName(start.scenario);
  if (!scenario) throw new Error(`unknown scenario ${start.scenario}`);
  const counters: WorkerCounters = zeroCounters();
  const hist = new Histogram();
  const loginHist = new Histogram();
  const errorCounts = new Map<string, number>();
  let stopped = false;
  const releases = new Map<string, (data: unknown) => void>();
  const pending = new Map<string, unknown>();
  const addrs = sourceAddresses(start.index, start.common.sourceIps);
  const perWorkerHandshakes = Math.max(1, Math.ceil(start.common.handshakes / start.workers));
  const gate = new Gate(perWorkerHandshakes);
  const perWorkerRate = start.common.rate > 0 ? start.common.rate / start.workers : 0;
  // A user's second login costs this worker no PBKDF2, and resumes its TLS session if asked.
  const scramCache = new Map<string, Buffer>();
  const tlsSessions = start.common.tlsResume ? new Map<string, Buffer>() : undefined;

  process.on('message', (m: ToWorker) => {
    if (m.t === 'release') {
      const r = releases.get(m.name);
      if (r) {
        releases.delete(m.name);
        r(m.data);
      } else pending.set(m.name, m.data);
    } else if (m.t === 'stop') stopped = true;
  });

  const tick = setInterval(() => {
    send({
      t: 'tick',
      c: { ...counters, inFlight: gate.inUse },
      h: hist.sparse(),
      hmax: hist.max,
      lh: loginHist.sparse(),
      lhmax: loginHist.max,
    });
    hist.clear();
    loginHist.clear();
  }, 1000);

  const jid = (i: number) => fromPattern(start.common.userPattern, i + 1);
  const portOf = (i: number) => start.target.ports[i % start.target.ports.length]!;
  const expired = () => stopped || Date.now() >= start.deadline;
  const error = (text: string) => {
    const key = text.replace(/load\d+@/g, 'loadN@').slice(0, 200);
    errorCounts.set(key, (errorCounts.get(key) ?? 0) + 1);
  };

  const connectOne = async (i: number, extra: Partial<LoadClientOptions> = {}) => {
    await gate.acquire();
    const t = performance.now();
    try {
      const local = addrs.length > 0 ? addrs[i % addrs.length] : undefined;
      const c = await LoadClient.connect({
        host: start.target.host,
        port: portOf(i),
        ...(local !== undefined ? { localAddress: local } : {}),
        jid: jid(i),
        password: fromPattern(start.common.passwordPattern, i + 1),
        resource: 'load',
        mechanism: start.common.mechanism,
        starttls: start.common.starttls,
        timeoutMs: start.common.loginTimeoutMs,
        scramCache,
        ...(tlsSessions ? { tlsSessions } : {}),
        ...extra,
        onClose: (client, reason) => {
          counters.connected--;
          counters.dropped++;
          extra.onClose?.(client, reason);
        },
      });
      loginHist.record(performance.now() - t);
      counters.logins++;
      if (c.tlsResumed) counters.tlsResumed++;
      counters.connected++;
      return c;
    } catch (err) {
      counters.loginErrors++;
      error(errorText(err));
      throw err;
    } finally {
      gate.release();
    }
  };

  const ctx: WorkerContext = {
    index: start.index,
    workers: start.workers,
    first: start.first,
    count: start.count,
    totalSessions: start.common.sessions,
    common: start.common,
    cfg: start.cfg,
    target: start.target,
    deadline: start.deadline,
    counters,
    result: {},
    jid,
    portOf,
    connectOne,
    async connectAll(extra) {
      const clients = new Array<LoadClient | undefined>(start.count);
      const t0 = performance.now();
      const inflight = new Set<Promise<void>>();
      for (let k = 0; k < start.count; k++) {
        if (expired()) break;
        if (perWorkerRate > 0) {
          const due = t0 + (k / perWorkerRate) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
          if (performance.now() < due - 1) {
            k--;
            continue;
          }
        }
        // Wait for a free negotiation slot before starting the next one (keeps the ramp honest).
        await gate.acquire();
        gate.release();
        const i = start.first + k;
        const p: Promise<void> = connectOne(i, extra?.(i) ?? {}).then(
          (c) => {
            clients[k] = c;
          },
          () => undefined,
        );
        const q = p.finally(() => inflight.delete(q));
        inflight.add(q);
      }
      await Promise.all(inflight);
      return clients;
    },
    latency(ms) {
      hist.record(ms);
    },
    barrier(name, data) {
      send({ t: 'barrier', name, ...(data !== undefined ? { data } : {}) });
      if (pending.has(name)) {
        const d = pending.get(name);
        pending.delete(name);
        return Promise.resolve(d);
      }
      return new Promise((resolve) => releases.set(name, resolve));
    },
    async sleep(ms) {
      const end = Math.min(Date.now() + ms, start.deadline);
      while (!expired() && Date.now() < end) {
        await new Promise((r) => setTimeout(r, Math.min(250, end - Date.now())));
      }
      return !expired();
    },
    expired,
    error,
    log(line) {
      send({ t: 'log', line: `worker ${start.index}: ${line}` });
    },
  };

  try {
    await scenario.worker(ctx);
  } catch (err) {
    error(`scenario failed: ${errorText(err)}`);
  }
  clearInterval(tick);
  send({
    t: 'tick',
    c: { ...counters, inFlight: gate.inUse },
    h: hist.sparse(),
    hmax: hist.max,
    lh: loginHist.sparse(),
    lhmax: loginHist.max,
  });
  const errors = [...errorCounts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([k, n]) => `${n}x ${k}`);
  send({ t: 'done', c: { ...counters }, result: ctx.result, errors });
}

/** Entry of a worker process: waits for the start message, runs, exits. */
export function workerMain(): void {
  if (!process.send) {
    console.error('a scenario worker must be started by the coordinator (IPC channel)');
    process.exit(2);
  }
  process.once('message', (m: ToWorker) => {
    if (m.t !== 'start') return;
    runWorker(m).then(
      () => {
        // Let the IPC channel flush the last messages, then leave.
        setTimeout(() => process.exit(0), 200);
      },
      (err: unknown) => {
        send({ t: 'log', line: `worker failed: ${errorText(err)}` });
        setTimeout(() => process.exit(1), 200);
      },
    );
  });
  // The coordinator's death must not leave a worker behind.
  process.on('disconnect', () => process.exit(3));
}
