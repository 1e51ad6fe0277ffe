/**
 * The dead-gateway reaper (reaper.ts) on fake timers: its checks every
 * 500 ms, the 15 s a gateway must be missing from the heartbeats before its
 * sessions end, the 30 s between reminders for sessions still there, the
 * resumption window resumable sessions get, and the 600 ms a "gone" answer
 * from NATS must hold before the gateway's deliveries are drained. On the
 * in-process bus with memory stores; the heartbeats and NATS answers are an
 * in-memory GatewayLiveness the test controls. Only setInterval and Date are
 * faked: the bus and the stores run on microtasks and real immediates.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { ROUTE_PREFIX, routeSubject } from '@parley/routing';
import type { BindReply, RegistryMessage } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger } from '@parley/telemetry';
import type { SessionRegistry } from '../registry.js';
import {
  createTestAccount,
  registryTestConfig,
  startTestRegistry,
} from '../../test/bus-fixture.js';

const P = 4;
const T0 = Date.UTC(2030, 0, 1);
const ALICE = 'alice@localhost';
/** A gateway; this worker owns every partition, so it is also the one that drains it. */
const GW = 'gw-a';

type GatewayDown = Extract<RegistryMessage, { t: 'gateway-down' }>;

describe('dead-gateway reaper', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let registry: SessionRegistry;
  const logs: string[] = [];
  /** Gateways with a live heartbeat, and those NATS says are gone. */
  const live = new Set<string>();
  const gone = new Set<string>();
  /** The gateway-down messages the reaper published, with the (fake) time they were published. */
  const downs: Array<{ at: number; m: GatewayDown }> = [];
  const config = registryTestConfig(P);
  config.sm.resumeTimeoutMs = 60_000;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: T0 });
    bus = new MemoryBus();
    stores = openMemoryStores();
    logs.length = 0;
    downs.length = 0;
    live.clear();
    gone.clear();
    bus.subscribe(`${ROUTE_PREFIX}.*._gateway`, (msg) => {
      const m = msg.data as RegistryMessage;
      if (m.t === 'gateway-down') downs.push({ at: Date.now() - T0, m });
    });
    await createTestAccount(stores, ALICE);
    registry = await startTestRegistry({
      config,
      bus,
      stores,
      logger: createLogger({ service: 'test', level: 'info', sink: (l) => void logs.push(l) }),
      gatewayLiveness: {
        live: async () => [...live],
        gone: async (gw) => gone.has(gw),
      },
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await registry.close();
    await bus.close();
    await stores.close();
  });

  /** Moves the clock by `ms` (the reaper's checks fire) and lets the registry finish what they caused. */
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    await registry.idle();
    await bus.flush();
    await registry.idle();
  };
  const bind = async (resource: string, gw = GW): Promise<void> => {
    const req: RegistryMessage = { t: 'bind', jid: ALICE, resource, gw, conn: `${gw}-${resource}` };
    const reply = (await bus.request(routeSubject(ALICE, P), req, { durable: true })) as BindReply;
    expect(reply.ok).toBe(true);
    await registry.idle();
  };
  const resumable = async (resource: string, gw = GW): Promise<void> => {
    const m: RegistryMessage = {
      t: 'session-resumable',
      jid: `${ALICE}/${resource}`,
      conn: `${gw}-${resource}`,
    };
    await bus.publishDurable(routeSubject(ALICE, P), m);
    await registry.idle();
  };
  /** Until the first check after this one sees the gateway missing: times are counted from it. */
  const missingFromNextCheck = async (gw = GW) => {
    await advance(500); // a check with the gateway still live: the reaper knows it
    live.delete(gw);
    await advance(500); // the first check that finds it missing
    return Date.now() - T0;
  };
  const draining = () => logs.filter((l) => l.includes('bouncing its pending deliveries'));

  it('ends the sessions of a gateway missing from the heartbeats for 15 s, not a check earlier', async () => {
    live.add(GW);
    await bind('phone');
    const since = await missingFromNextCheck();
    await advance(14_500);
    expect(downs).toEqual([]);
    expect(registry.sessionCount()).toBe(1);

    await advance(500); // 15 s missing
    expect(downs.map((d) => d.m.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const d of downs) {
      expect(d.at).toBe(since + 15_000);
      expect(d.m).toMatchObject({ gw: GW, resumableToo: false });
    }
    expect(registry.sessionCount()).toBe(0);
    // Dead and drained once: nothing more for it.
    await advance(60_000);
    expect(downs).toHaveLength(P);
    expect(draining()).toHaveLength(1);
  });

  it('keeps the sessions of a gateway back before 15 s (a Redis restart forgets every heartbeat)', async () => {
    live.add(GW);
    await bind('phone');
    await missingFromNextCheck();
    await advance(14_500);
    live.add(GW); // its next heartbeat
    await advance(500);
    live.delete(GW); // missing again: the 15 s start over
    await advance(500);
    await advance(14_500);
    expect(downs).toEqual([]);
    expect(registry.sessionCount()).toBe(1);
    expect(draining()).toEqual([]);
    await advance(500);
    expect(downs).toHaveLength(P);
  });

  it('reminds every 30 s while resumable sessions wait, and ends them after the resumption window', async () => {
    live.add(GW);
    await bind('phone');
    await resumable('phone');
    const since = await missingFromNextCheck();
    await advance(15_000);
    const rounds = () => [...new Set(downs.map((d) => d.at - since))];
    expect(rounds()).toEqual([15_000]);
    // A resumable session waits for its client to resume elsewhere.
    expect(registry.sessionCount()).toBe(1);

    await advance(29_500);
    expect(rounds()).toEqual([15_000]);
    await advance(500);
    expect(rounds()).toEqual([15_000, 45_000]);
    // Reminders go on while the resumption window (60 s, plus 30 s of slack) is open...
    await advance(30_000);
    expect(rounds()).toEqual([15_000, 45_000, 75_000]);
    expect(downs.every((d) => !d.m.resumableToo)).toBe(true);
    expect(registry.sessionCount()).toBe(1);
    // ...and the first one after it ends resumable sessions too.
    await advance(29_500);
    expect(rounds()).toHaveLength(3);
    await advance(500);
    expect(rounds()).toEqual([15_000, 45_000, 75_000, 105_000]);
    expect(downs.filter((d) => d.at - since === 105_000).every((d) => d.m.resumableToo)).toBe(true);
    expect(registry.sessionCount()).toBe(0);
  });

  it('drains a gateway NATS has said is gone for 600 ms, and ends its sessions only after 15 s', async () => {
    live.add(GW);
    await bind('phone');
    await advance(500); // known
    gone.add(GW); // its NATS connection closed; its heartbeat has not expired yet
    await advance(500); // first "gone": 0 ms confirmed
    await advance(500); // 500 ms
    expect(draining()).toEqual([]);
    await advance(500); // 1,000 ms >= 600 ms
    expect(draining()).toHaveLength(1);
    // The heartbeat still counts: draining is not ending sessions.
    expect(registry.sessionCount()).toBe(1);
    expect(downs).toEqual([]);

    live.delete(GW); // now the heartbeat expires too
    await advance(500);
    await advance(14_500);
    expect(downs).toEqual([]);
    await advance(500);
    expect(downs).toHaveLength(P);
    expect(registry.sessionCount()).toBe(0);
    expect(draining()).toHaveLength(1); // drained once
  });

  it('forgets a "gone" answer NATS takes back before it was confirmed', async () => {
    live.add(GW);
    await bind('phone');
    await advance(500);
    gone.add(GW);
    await advance(1_000); // gone at the first check, 500 ms at the second
    gone.delete(GW); // it reconnected
    await advance(500);
    gone.add(GW); // gone again: the 600 ms start over
    await advance(500); // 0 ms
    await advance(500); // 500 ms
    expect(draining()).toEqual([]);
    await advance(500);
    expect(draining()).toHaveLength(1);
  });
});
