/**
 * Re-registration (`session-sync`) and deliveries parked for a resumable
 * session whose gateway died (`bounce` with `drained`), on the in-process
 * bus: what a partition owner does with them, in partition order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { defaultConfig } from '@parley/config';
import { routeSubject, syncSubject, partitionOf } from '@parley/routing';
import type { BindReply, Envelope, GatewayMessage, RegistryMessage } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { startSessionRegistry } from '../registry.js';
import type { SessionRegistry } from '../registry.js';

const P = 4;
const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a2V5', serverKey: 'a2V5' };
const ALICE = 'alice@localhost';

describe('session-sync and parked deliveries', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let registry: SessionRegistry;
  const sent: Array<{ gw: string; m: GatewayMessage }> = [];
  const config = defaultConfig();
  config.server.domains = ['localhost'];
  config.routing.partitions = P;

  const chat = (id: string, to = ALICE): Envelope => ({
    stage: 'in',
    kind: 'message',
    type: 'chat',
    id,
    from: 'bob@localhost/b',
    to,
    xml: `<message xmlns="jabber:client" from="bob@localhost/b" to="${to}" id="${id}" type="chat"><body>${id}</body></message>`,
  });
  const publish = async (subject: string, m: RegistryMessage) => {
    await bus.publishDurable(subject, m);
    await registry.idle();
    await bus.flush();
  };
  const delivered = (gw: string, conn: string) =>
    sent.flatMap(({ gw: g, m }) =>
      g === gw && m.t === 'deliver' && m.conn === conn ? [m.env.id] : [],
    );
  const offline = async () => (await stores.offline.list(ALICE, 100)).length;

  beforeEach(async () => {
    bus = new MemoryBus();
    stores = openMemoryStores();
    sent.length = 0;
    for (const gw of ['gw1', 'gw2'])
      bus.subscribe(
        `xmpp.gw.${gw}`,
        (msg) => void sent.push({ gw, m: msg.data as GatewayMessage }),
      );
    registry = startSessionRegistry({
      config,
      bus,
      stores,
      logger: createLogger({ service: 'test', level: 'error' }),
      metrics: createMetrics({ collectDefault: false }),
    });
    await registry.ready;
    await stores.accounts.create({
      jid: ALICE,
      createdAt: 0,
      credentials: { 'SCRAM-SHA-1': cred, 'SCRAM-SHA-256': cred },
    });
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
          jid: `${ALICE}/phone`,
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
      sessions: [{ jid: `${ALICE}/phone`, conn: 'c1', available: true, boundAt: 1 }],
    });
    expect(registry.sessionCount()).toBe(1);
    expect(sent.filter(({ m }) => m.t === 'kick')).toEqual([]);
  });

  it('a session that ended after it was listed is not resurrected: its unbind follows in order', async () => {
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [{ jid: `${ALICE}/phone`, conn: 'c1', available: true }],
    });
    await publish(routeSubject(ALICE, P), {
      t: 'unbind',
      jid: `${ALICE}/phone`,
      gw: 'gw1',
      conn: 'c1',
    });
    expect(registry.sessionCount()).toBe(0);
    await publish(routeSubject(ALICE, P), { t: 'stanza', env: chat('m2') });
    expect(await offline()).toBe(1);
  });

  it('of two connections claiming one full JID the later bind wins; the other is kicked', async () => {
    const reply = (await bus.request(
      routeSubject(ALICE, P),
      { t: 'bind', jid: ALICE, resource: 'phone', gw: 'gw2', conn: 'c2' } satisfies RegistryMessage,
      { durable: true },
    )) as BindReply;
    expect(reply.ok).toBe(true);
    // A listing of an older connection for the same resource loses.
    await publish(syncSubject(p()), {
      t: 'session-sync',
      gw: 'gw1',
      sessions: [{ jid: `${ALICE}/phone`, conn: 'c1', boundAt: 1 }],
    });
    expect(sent).toContainEqual({
      gw: 'gw1',
      m: expect.objectContaining({ t: 'kick', conn: 'c1' }),
    });
    await publish(routeSubject(ALICE, P), { t: 'stanza', env: chat('m3', `${ALICE}/phone`) });
    expect(delivered('gw2', 'c2')).toEqual(['m3']);
  });

  it('parks what is drained from a dead gateway for a resumable session, and hands it over on resumption', async () => {
    await bus.request(
      routeSubject(ALICE, P),
      { t: 'bind', jid: ALICE, resource: 'phone', gw: 'gw1', conn: 'c1' } satisfies RegistryMessage,
      { durable: true },
    );
    await publish(routeSubject(ALICE, P), {
      t: 'session-resumable',
      jid: `${ALICE}/phone`,
      conn: 'c1',
    });
    for (const id of ['d1', 'd2'])
      await publish(routeSubject(ALICE, P), {
        t: 'bounce',
        to: `${ALICE}/phone`,
        conn: 'c1',
        drained: true,
        env: chat(id, `${ALICE}/phone`),
      });
    expect(await offline()).toBe(0); // kept for the resumption, not stored offline
    const reply = (await bus.request(
      routeSubject(ALICE, P),
      {
        t: 'bind',
        jid: ALICE,
        resource: 'phone',
        gw: 'gw2',
        conn: 'c2',
        takeover: 'c1',
      } satisfies RegistryMessage,
      { durable: true },
    )) as BindReply;
    expect(reply.ok).toBe(true);
    await bus.flush();
    // Held until the old connection is fenced (answered here as gw1's drainer would).
    expect(delivered('gw2', 'c2')).toEqual([]);
    const fence = sent.find(({ gw, m }) => gw === 'gw1' && m.t === 'fence')?.m;
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
    await bus.request(
      routeSubject(ALICE, P),
      { t: 'bind', jid: ALICE, resource: 'phone', gw: 'gw1', conn: 'c1' } satisfies RegistryMessage,
      { durable: true },
    );
    await publish(routeSubject(ALICE, P), {
      t: 'session-resumable',
      jid: `${ALICE}/phone`,
      conn: 'c1',
    });
    await publish(routeSubject(ALICE, P), {
      t: 'bounce',
      to: `${ALICE}/phone`,
      conn: 'c1',
      drained: true,
      env: chat('d3', `${ALICE}/phone`),
    });
    await publish(routeSubject(ALICE, P), {
      t: 'unbind',
      jid: `${ALICE}/phone`,
      gw: 'gw1',
      conn: 'c1',
    });
    await registry.idle();
    // A full-JID chat message to a resource that is gone goes to offline storage (RFC 6121 8.5.3.2.1).
    await expect.poll(offline).toBe(1);
  });
});
