/**
 * The resumption fence (fence.ts): a session moving to a new connection
 * (takeover bind) holds new deliveries back until the old connection's
 * gateway has returned what it still held, so nothing newer overtakes it.
 * On the in-process bus, with a registry worker owning every partition and
 * the tests playing the gateways.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { routeSubject } from '@parley/routing';
import type { BindReply, Fence, RegistryMessage } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { Fences } from './fence.js';
import type { RegistryOptions, SessionRegistry } from '../registry.js';
import type { SessionEntry } from './session-table.js';
import {
  GatewayOutbox,
  chatFromBob,
  createTestAccount,
  registryTestConfig,
  startTestRegistry,
} from '../../test/bus-fixture.js';

const P = 4;
const ALICE = 'alice@localhost';
const PHONE = `${ALICE}/phone`;

const chat = (id: string) => chatFromBob(id, PHONE);

describe('resumption fence (registry)', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let registry: SessionRegistry;
  let outbox: GatewayOutbox;
  const config = registryTestConfig(P);

  async function start(opts: Partial<RegistryOptions> = {}): Promise<void> {
    registry = await startTestRegistry({ config, bus, stores, ...opts });
  }

  const publish = async (m: RegistryMessage) => {
    await bus.publishDurable(routeSubject(ALICE, P), m);
    await registry.idle();
    await bus.flush();
  };
  const bind = async (gw: string, conn: string, takeover?: string): Promise<BindReply> => {
    const req: RegistryMessage = { t: 'bind', jid: ALICE, resource: 'phone', gw, conn };
    if (takeover !== undefined) req.takeover = takeover;
    const reply = (await bus.request(routeSubject(ALICE, P), req, { durable: true })) as BindReply;
    await registry.idle();
    await bus.flush();
    return reply;
  };
  const message = (id: string) => publish({ t: 'stanza', env: chat(id) });
  /** What the old gateway returns for its connection, as `SmManager` bounces it. */
  const returned = (id: string, conn = 'c1') =>
    publish({ t: 'bounce', to: PHONE, conn, env: chat(id) });
  const delivered = (gw: string, conn: string) => outbox.delivered(gw, conn);
  const fences = (gw: string): Fence[] =>
    outbox.sent.flatMap(({ gw: g, m }) => (g === gw && m.t === 'fence' ? [m] : []));
  const fenceDone = (f: Fence) =>
    publish({ t: 'fence-done', jid: f.jid, conn: f.conn, id: f.id } as RegistryMessage);
  const offline = async () =>
    (await stores.offline.list(ALICE, 100)).map((m) => /<body>(.*)<\/body>/.exec(m.xml)?.[1]);

  beforeEach(async () => {
    bus = new MemoryBus();
    stores = openMemoryStores();
    outbox = new GatewayOutbox(bus, ['gw1', 'gw2', 'gw3']);
    await createTestAccount(stores, ALICE);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await registry.close();
    await bus.close();
    await stores.close();
  });

  it('holds new deliveries until fence-done; what the old connection returns goes first', async () => {
    await start();
    await bind('gw1', 'c1');
    await message('m1');
    expect(delivered('gw1', 'c1')).toEqual(['m1']);
    expect((await bind('gw2', 'c2', 'c1')).ok).toBe(true);
    // The fence follows every delivery routed to the old connection, on its gateway's subject.
    const gw1 = outbox.sent.filter(({ gw }) => gw === 'gw1').map(({ m }) => m.t);
    expect(gw1).toEqual(['deliver', 'fence']);
    const [fence] = fences('gw1');
    expect(fence).toMatchObject({ conn: 'c1', jid: PHONE });
    await message('m3');
    await returned('m2'); // m2 reached gw1 after the claim, and comes back after m3 was routed
    await message('m4');
    expect(delivered('gw2', 'c2')).toEqual([]);
    await fenceDone(fence!);
    expect(delivered('gw2', 'c2')).toEqual(['m2', 'm3', 'm4']);
    // Moved: later deliveries go straight through, a late return is routed as before.
    await message('m5');
    await returned('m6');
    expect(delivered('gw2', 'c2')).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('a fence-done of another fence changes nothing', async () => {
    await start();
    await bind('gw1', 'c1');
    await bind('gw2', 'c2', 'c1');
    await message('m1');
    await fenceDone({ ...fences('gw1')[0]!, id: 'stale' });
    expect(delivered('gw2', 'c2')).toEqual([]);
    await fenceDone(fences('gw1')[0]!);
    expect(delivered('gw2', 'c2')).toEqual(['m1']);
  });

  it('stops waiting after the timeout (an old gateway that does not know the fence) and delivers in order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await start({ fenceTimeoutMs: 2_000 });
    await bind('gw1', 'c1');
    await bind('gw2', 'c2', 'c1');
    await returned('m1');
    await message('m2');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(delivered('gw2', 'c2')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await bus.flush();
    expect(delivered('gw2', 'c2')).toEqual(['m1', 'm2']);
  });

  it('a normal bind and a resource conflict are not fenced: deliveries go out at once', async () => {
    await start();
    await bind('gw1', 'c1');
    await message('m1');
    expect(delivered('gw1', 'c1')).toEqual(['m1']);
    await bind('gw2', 'c2'); // the same resource, no takeover: the old one is kicked
    expect(outbox.sent).toContainEqual({
      gw: 'gw1',
      m: expect.objectContaining({ t: 'kick', conn: 'c1' }),
    });
    await message('m2');
    expect(delivered('gw2', 'c2')).toEqual(['m2']);
    expect(fences('gw1')).toEqual([]);
  });

  it('a resumption on the same gateway is fenced too, and passes on its fence-done', async () => {
    await start();
    await bind('gw1', 'c1');
    await bind('gw1', 'c2', 'c1');
    await message('m2');
    await returned('m1');
    await fenceDone(fences('gw1')[0]!);
    expect(delivered('gw1', 'c2')).toEqual(['m1', 'm2']);
  });

  it('a second resumption while moving keeps waiting for the first fence, then delivers to the newest connection', async () => {
    await start();
    await bind('gw1', 'c1');
    await bind('gw2', 'c2', 'c1');
    await message('m2');
    expect((await bind('gw3', 'c3', 'c2')).ok).toBe(true);
    expect(fences('gw2')).toEqual([]);
    await returned('m1');
    await message('m3');
    await fenceDone(fences('gw1')[0]!);
    expect(delivered('gw2', 'c2')).toEqual([]);
    expect(delivered('gw3', 'c3')).toEqual(['m1', 'm2', 'm3']);
  });

  it('a session that ends while moving has what it held routed as if it were gone', async () => {
    await start();
    await bind('gw1', 'c1');
    await bind('gw2', 'c2', 'c1');
    await returned('m1');
    await message('m2');
    await publish({ t: 'unbind', jid: PHONE, gw: 'gw2', conn: 'c2' });
    // Full-JID chat messages to a resource that is gone are stored offline (RFC 6121 8.5.3.2.1).
    await expect.poll(offline).toEqual(['m1', 'm2']);
    expect(delivered('gw2', 'c2')).toEqual([]);
    // The fence-done that comes afterwards finds nothing to do.
    await fenceDone(fences('gw1')[0]!);
    expect(delivered('gw2', 'c2')).toEqual([]);
  });

  it('a dead old gateway: its drainer answers the fence behind what it drained; parked deliveries go first', async () => {
    const liveness = { live: async () => ['gw2'], gone: async (gw: string) => gw === 'gw1' };
    await start({ gatewayLiveness: liveness });
    await bind('gw1', 'c1');
    await publish({ t: 'session-resumable', jid: PHONE, conn: 'c1' });
    const drained: string[] = [];
    bus.subscribe('xmpp.r.*.*', (msg) => {
      const m = msg.data as RegistryMessage;
      if (m.t === 'bounce' && m.drained === true) drained.push(m.env.id ?? '');
    });
    // The drainer of gw1 starts once NATS has said it is gone for a while (about a second);
    // what is delivered to gw1 comes back drained and is parked for the resumption.
    await vi.waitFor(
      async () => {
        await message(`p${delivered('gw1', 'c1').length}`);
        expect(drained.length).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 100 },
    );
    await registry.idle();
    expect(await offline()).toEqual([]);
    expect((await bind('gw2', 'c2', 'c1')).ok).toBe(true);
    await message('after');
    await message('late'); // routed to c2 too: held until the fence is answered
    // What the drainer parked for c1 (before the move) comes first, then the newer ones.
    await vi.waitFor(() => expect(delivered('gw2', 'c2')).toEqual([...drained, 'after', 'late']));
    expect(drained.length).toBeGreaterThan(0);
  });
});

describe('Fences', () => {
  const entry = (): SessionEntry => ({
    resource: 'phone',
    jid: PHONE,
    gw: 'gw2',
    conn: 'c2',
    available: true,
    priority: 0,
    interested: false,
    directed: new Set(),
    boundAt: 0,
  });
  const make = (limits: { maxHeld?: number; maxBytes?: number } = {}) => {
    const out: string[] = [];
    const fences = new Fences({
      publish: async () => undefined,
      send: (_e, env) => void out.push(env.id ?? ''),
      logger: createLogger({ service: 'test', level: 'error' }),
      metrics: createMetrics({ collectDefault: false }),
      timeoutMs: 60_000,
      ...limits,
    });
    return { fences, out };
  };

  it('stops holding when too many deliveries wait, and delivers them in order', () => {
    const { fences, out } = make({ maxHeld: 3 });
    const e = entry();
    fences.start(e, PHONE, 'gw1', 'c1', [chat('p1')]);
    expect(fences.hold(e, chat('m1'))).toBe(true);
    expect(fences.returned(e, 'c1', chat('r1'))).toBe(true);
    expect(out).toEqual([]);
    expect(fences.hold(e, chat('m2'))).toBe(true); // the fourth: over the bound
    expect(out).toEqual(['p1', 'r1', 'm1', 'm2']);
    expect(fences.moving(e)).toBe(false);
    expect(fences.hold(e, chat('m3'))).toBe(false);
  });

  it('stops holding when too many bytes wait', () => {
    const { fences, out } = make({ maxBytes: 250 }); // each chat() is about 150 bytes
    const e = entry();
    fences.start(e, PHONE, 'gw1', 'c1', []);
    fences.hold(e, chat('m1'));
    expect(out).toEqual([]);
    fences.hold(e, chat('m2'));
    expect(out).toEqual(['m1', 'm2']);
  });

  it('a bounce of another connection is not a return', () => {
    const { fences } = make();
    const e = entry();
    fences.start(e, PHONE, 'gw1', 'c1', []);
    expect(fences.returned(e, 'c9', chat('x'))).toBe(false);
  });

  it('a released partition delivers what its moving sessions hold', () => {
    const { fences, out } = make();
    const e = entry();
    fences.start(e, PHONE, 'gw1', 'c1', []);
    fences.hold(e, chat('m1'));
    fences.release(() => true);
    expect(out).toEqual(['m1']);
    expect(fences.size).toBe(0);
  });
});
