/** The registry's side of the admin API: per-account requests, fan-out queries, the MUC relay. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import {
  ADMIN_REGISTRY_SUBJECT,
  BUS_PROTOCOL_VERSION as v,
  adminRelaySubject,
  routeSubject,
} from '@parley/routing';
import type {
  AdminQueryAnswer,
  AdminReply,
  AdminRequest,
  BindReply,
  Envelope,
  GatewayMessage,
  RegistryMessage,
} from '@parley/routing';
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

describe('admin control in the session registry', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let registry: SessionRegistry;
  const gateway: GatewayMessage[] = [];
  const config = registryTestConfig(P);

  const ask = (m: AdminRequest) =>
    bus.request(routeSubject(m.jid, P), m, { durable: true }) as Promise<AdminReply>;
  const bind = async (jid: string, resource: string) =>
    (await bus.request(routeSubject(jid, P), {
      t: 'bind',
      jid,
      resource,
      gw: 'gw1',
      conn: `c-${resource}`,
    } satisfies RegistryMessage)) as BindReply;

  beforeEach(async () => {
    bus = new MemoryBus();
    stores = openMemoryStores();
    gateway.length = 0;
    bus.subscribe('xmpp.gw.gw1', (msg) => void gateway.push(msg.data as GatewayMessage));
    registry = await startTestRegistry({
      config,
      bus,
      stores,
      logger: createLogger({ service: 'test', level: 'error', sink: () => undefined }),
    });
    for (const jid of ['alice@localhost', 'bob@localhost']) await createTestAccount(stores, jid);
  });
  afterEach(async () => {
    await registry.close();
    await bus.close();
    await stores.close();
  });

  it('lists and kicks the sessions of an account in its partition', async () => {
    await bind('alice@localhost', 'one');
    await bind('alice@localhost', 'two');
    const list = await ask({ t: 'admin-sessions', jid: 'alice@localhost' });
    expect(list.ok && list.sessions?.map((s) => s.jid).sort()).toEqual([
      'alice@localhost/one',
      'alice@localhost/two',
    ]);
    expect(
      await ask({ t: 'admin-kick', jid: 'alice@localhost', resource: 'one', text: 'bye' }),
    ).toEqual({ v, ok: true, kicked: 1 });
    await bus.flush();
    expect(gateway).toContainEqual({
      v,
      t: 'kick',
      conn: 'c-one',
      condition: 'policy-violation',
      text: 'bye',
    });
    expect(registry.sessionCount()).toBe(1);
    expect(await ask({ t: 'admin-kick', jid: 'alice@localhost' })).toEqual({
      v,
      ok: true,
      kicked: 1,
    });
    expect(registry.sessionCount()).toBe(0);
  });

  it('runs account IQs as the account and reports their errors', async () => {
    const set = await ask({
      t: 'admin-iq',
      jid: 'alice@localhost',
      xml: "<iq type='set' id='1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'/></query></iq>",
    });
    expect(set).toEqual({ v, ok: true });
    expect(await stores.rosters.getItem('alice@localhost', 'bob@localhost')).toMatchObject({
      name: 'Bob',
      subscription: 'none',
    });
    const missing = await ask({
      t: 'admin-iq',
      jid: 'alice@localhost',
      xml: "<iq type='set' id='2'><query xmlns='jabber:iq:roster'><item jid='carol@localhost' subscription='remove'/></query></iq>",
    });
    expect(missing).toMatchObject({ ok: false, condition: 'item-not-found' });
    expect(
      await ask({ t: 'admin-iq', jid: 'ghost@localhost', xml: '<iq type="get"/>' }),
    ).toMatchObject({ ok: false, condition: 'item-not-found' });
    expect(
      await ask({
        t: 'admin-iq',
        jid: 'alice@localhost',
        xml: "<iq type='get'><x xmlns='urn:none'/></iq>",
      }),
    ).toMatchObject({ ok: false, condition: 'service-unavailable' });
  });

  it('sets a subscription state directly', async () => {
    expect(
      await ask({
        t: 'admin-subscription',
        jid: 'alice@localhost',
        contact: 'bob@localhost',
        subscription: 'both',
        groups: ['g'],
      }),
    ).toEqual({ v, ok: true });
    expect(await stores.rosters.getItem('alice@localhost', 'bob@localhost')).toMatchObject({
      subscription: 'both',
      groups: ['g'],
      listed: true,
    });
  });

  it('answers a fan-out query for the partitions it owns', async () => {
    await bind('bob@localhost', 'b');
    const answers: AdminQueryAnswer[] = [];
    bus.subscribe('xmpp.admin.reply.t.1', (msg) => void answers.push(msg.data as AdminQueryAnswer));
    bus.publish(ADMIN_REGISTRY_SUBJECT, {
      t: 'sessions',
      replyTo: 'xmpp.admin.reply.t.1',
      limit: 10,
      domain: 'localhost',
    });
    await bus.flush();
    expect(answers).toEqual([
      expect.objectContaining({
        partitions: [0, 1, 2, 3],
        sessions: 1,
        users: 1,
        byGateway: { gw1: 1 },
        matching: 1,
        list: [expect.objectContaining({ jid: 'bob@localhost/b', gw: 'gw1', conn: 'c-b' })],
      }),
    ]);
  });

  it('relays stanzas for the MUC actor resource to the admin API instance, and nothing else', async () => {
    const relayed: Envelope[] = [];
    bus.subscribe(adminRelaySubject('api1'), (msg) => void relayed.push(msg.data as Envelope));
    const send = (to: string) => {
      const env: Envelope = {
        stage: 'in',
        kind: 'iq',
        type: 'result',
        id: 'x',
        from: 'room@conference.localhost',
        to,
        xml: `<iq type='result' id='x' from='room@conference.localhost' to='${to}'/>`,
      };
      return bus.publishDurable(routeSubject('admin-api@localhost', P), {
        t: 'stanza',
        env,
      } satisfies RegistryMessage);
    };
    await send('admin-api@localhost/admin-api.api1');
    await send('admin-api@localhost/other');
    await registry.idle();
    await bus.flush();
    expect(relayed.map((e) => e.to)).toEqual(['admin-api@localhost/admin-api.api1']);
  });
});
