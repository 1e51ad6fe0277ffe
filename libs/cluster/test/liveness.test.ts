/**
 * BusLiveness: "gone" only when the bus says nobody answers on the
 * process's liveness subject; a slow or unreachable answer proves nothing.
 * Over the in-process bus (timeouts on fake timers) and between two
 * connections to a real nats-server, where closing a connection is what
 * makes a process gone.
 */
import { MemoryBus, connectNatsBus } from '@parley/bus';
import type { NatsBus } from '@parley/bus';
import { startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BusLiveness } from '../src/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('BusLiveness over the in-process bus', () => {
  let bus: MemoryBus;
  let liveness: BusLiveness;
  beforeAll(() => {
    bus = new MemoryBus();
    liveness = new BusLiveness(bus);
  });
  afterAll(async () => {
    await bus.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers on _INBOX.parley.alive.<role>.<id>', async () => {
    expect(BusLiveness.subject('registry', 'w-1')).toBe('_INBOX.parley.alive.registry.w-1');
    const sub = await liveness.serve('registry', 'w-1');
    expect(sub.subject).toBe('_INBOX.parley.alive.registry.w-1');
    expect(await bus.request(BusLiveness.subject('registry', 'w-1'), {})).toEqual({});
    sub.unsubscribe();
  });

  it('a process that serves is not gone; once it stops serving it is', async () => {
    const sub = await liveness.serve('gateway', 'g1');
    expect(await liveness.gone('gateway', 'g1')).toBe(false);
    sub.unsubscribe();
    expect(await liveness.gone('gateway', 'g1')).toBe(true);
  });

  it('a process that never served is gone; the role is part of the identity', async () => {
    const sub = await liveness.serve('gateway', 'same-id');
    expect(await liveness.gone('registry', 'same-id')).toBe(true);
    expect(await liveness.gone('registry', 'never-started')).toBe(true);
    expect(await liveness.gone('gateway', 'same-id')).toBe(false);
    sub.unsubscribe();
  });

  it('a process that does not answer in time is not declared gone (busy is not dead)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // Subscribed (so the bus has a responder) but never answering: a blocked event loop.
    const sub = bus.subscribe(BusLiveness.subject('registry', 'busy'), () => undefined);
    const verdict = liveness.gone('registry', 'busy', 1000);
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void verdict.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await verdict).toBe(false);
    sub.unsubscribe();
  });

  it('any other bus failure is not "gone" either', async () => {
    const closed = new MemoryBus();
    await closed.close();
    expect(await new BusLiveness(closed).gone('registry', 'w1')).toBe(false);
  });
});

describe('BusLiveness between processes on a real nats-server', () => {
  let server: NatsServer;
  const buses: NatsBus[] = [];
  const connect = async (name: string) => {
    const b = await connectNatsBus({ servers: server.url, name, logger: quiet });
    buses.push(b);
    return b;
  };
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => undefined);
    await server?.stop();
  });

  it('a worker is alive while its connection is up and gone as soon as it is closed', async () => {
    const worker = await connect('worker');
    const watcher = new BusLiveness(await connect('watcher'));
    await new BusLiveness(worker).serve('registry', 'w1');
    expect(await watcher.gone('registry', 'w1')).toBe(false);
    expect(await watcher.gone('registry', 'w2')).toBe(true);
    await worker.close(); // the process died: NATS drops its subscriptions
    await vi.waitFor(async () => expect(await watcher.gone('registry', 'w1')).toBe(true), {
      timeout: 5000,
      interval: 50,
    });
  });
});
