/**
 * Re-registration (`session-sync`) and deliveries parked for a resumable
 * session whose gateway died (`bounce` with `drained`), on the in-process
 * bus: what a partition owner does with them, in partition order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { routeSubject, syncSubject, partitionOf } from '@parley/routing';
import type { BindReply, RegistryMessage } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import type { SessionRegistry } from '../registry.js';
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

describe('session-sync and parked deliveries', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let registry: SessionRegistry;
  let outbox: GatewayOutbox;
  const config = registryTestConfig(P);

  const chat = (id: string, to = ALICE) => chatFromBob(id, to);
  const publish = async (subject: string, m: RegistryMessage) => {
    await bus.publishDurable(subject, m);
    await registry.idle();
    await bus.flush();
  };
  /** Binds ALICE/phone on `gw` as `conn` (resuming `takeover`); resolves with the reply. */
  const bind = async (gw: string, conn: string, takeover?: string) => {
    const req: RegistryMessage = { t: 'bind', jid: ALICE, resource: 'phone', gw, conn };
    if (takeover !== undefined) req.takeover = takeover;
    return (await bus.request(routeSubject(ALICE, P), req, { durable: true })) as BindReply;
  };
  /** ALICE/phone bound on gw1 as c1, which made the session resumable. */
  const resumableOnGw1 = async () => {
    await bind('gw1', 'c1');
    await publish(routeSubject(ALICE, P), { t: 'session-resumable', jid: PHONE, conn: 'c1' });
  };
  const delivered = (gw: string, conn: string) => outbox.delivered(gw, conn);
  const offline = async () => (await stores.offline.list(ALICE, 100)).length;

  beforeEach(async () => {
    bus = new MemoryBus();
    stores = openMemoryStores();
    outbox = new GatewayOutbox(bus, ['gw1', 'gw2']);
    registry = await startTestRegistry({ config, bus, stores });
    await createTestAccount(stores, ALICE);
  });
  afterEach(async () => {
    await registry.close();
    await bus.close();
    await stores.close();
  });

  const p = () => partitionOf(ALICE, P);

  it('adds a session the owner did not know, available with its presence, and routes to it', async () => {
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [
        {
          jid: PHONE,
          conn: 'c1',
          available: true,
          priority: 1,
          presence: `<presence from="${ALICE}/phone"/>`,
          boundAt: 1,
        },
      ],
    });
    expect(registry.sessionCount()).toBe(1);
    await publish(routeSubject(ALICE, P), { t: 'stanza', env: chat('m1') });
    expect(delivered('gw1', 'c1')).toEqual(['m1']);
    expect(await offline()).toBe(0);
    // Listing it again changes nothing (idempotent).
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [{ jid: PHONE, conn: 'c1', available: true, boundAt: 1 }],
    });
    expect(registry.sessionCount()).toBe(1);
    expect(outbox.sent.filter(({ m }) => m.t === 'kick')).toEqual([]);
  });

  it('a session that ended after it was listed is not resurrected: its unbind follows in order', async () => {
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [{ jid: PHONE, conn: 'c1', available: true }],
    });
    await publish(routeSubject(ALICE, P), {
      t: 'unbind',
      jid: PHONE,
      gw: 'gw1',
      conn: 'c1',
    });
    expect(registry.sessionCount()).toBe(0);
    await publish(routeSubject(ALICE, P), { t: 'stanza', env: chat('m2') });
    expect(await offline()).toBe(1);
  });

  it('of two connections claiming one full JID the later bind wins; the other is kicked', async () => {
    expect((await bind('gw2', 'c2')).ok).toBe(true);
    // A listing of an older connection for the same resource loses.
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [{ jid: PHONE, conn: 'c1', boundAt: 1 }],
    });
    expect(outbox.sent).toContainEqual({
      gw: 'gw1',
      m: expect.objectContaining({ t: 'kick', conn: 'c1' }),
    });
    await publish(routeSubject(ALICE, P), { t: 'stanza', env: chat('m3', PHONE) });
    expect(delivered('gw2', 'c2')).toEqual(['m3']);
  });

  it('parks what is drained from a dead gateway for a resumable session, and hands it over on resumption', async () => {
    await resumableOnGw1();
    for (const id of ['d1', 'd2'])
      await publish(routeSubject(ALICE, P), {
        t: 'bounce',
        to: PHONE,
        conn: 'c1',
        drained: true,
        env: chat(id, PHONE),
      });
    expect(await offline()).toBe(0); // kept for the resumption, not stored offline
    expect((await bind('gw2', 'c2', 'c1')).ok).toBe(true);
    await bus.flush();
    // Held until the old connection is fenced (answered here as gw1's drainer would).
    expect(delivered('gw2', 'c2')).toEqual([]);
    const fence = outbox.sent.find(({ gw, m }) => gw === 'gw1' && m.t === 'fence')?.m;
    if (fence?.t !== 'fence') throw new Error('no fence sent to gw1');
    await publish(routeSubject(ALICE, P), {
      t: 'fence-done',
      jid: fence.jid,
      conn: fence.conn,
      id: fence.id,
    });
    expect(delivered('gw2', 'c2')).toEqual(['d1', 'd2']);
  });

  it('parked deliveries of a session that ends without resuming are routed as if it were gone', async () => {
    await resumableOnGw1();
    await publish(routeSubject(ALICE, P), {
      t: 'bounce',
      to: PHONE,
      conn: 'c1',
      drained: true,
      env: chat('d3', PHONE),
    });
    await publish(routeSubject(ALICE, P), {
      t: 'unbind',
      jid: PHONE,
      gw: 'gw1',
      conn: 'c1',
    });
    await registry.idle();
    // A full-JID chat message to a resource that is gone goes to offline storage (RFC 6121 8.5.3.2.1).
    await expect.poll(offline).toBe(1);
  });
});
