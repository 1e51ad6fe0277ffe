/**
 * XEP-0045 in cluster mode: gateways, session-registry workers and MUC
 * workers as separate processes over nats-server and redis-server. Three
 * users on two gateways share a room, which survives a restart of every
 * process: MUC workers hand the room over with its occupants (hot state in
 * Redis), registry workers hand their sessions over, and after the
 * gateways restart the users come back to the same persistent room.
 */
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterProcess, LocalCluster, ProcessKind } from '../src/local-cluster.js';
import { ready, startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { NS_DISCO_INFO, Peer } from './scenario-helpers.js';
import {
  MUC,
  createRoom,
  groupchat,
  isGroupchat,
  join,
  mucItem,
  statusCodes,
} from './xep0045-helpers.js';
import { connect } from './xmppjs.js';

const ROOM = `ops@${MUC}`;
const WAIT = 20_000;

describe('XEP-0045 in a cluster: a room survives a restart of every process', () => {
  let t: TestCluster;
  let cluster: LocalCluster;
  const peers: Peer[] = [];

  const login = async (user: string, gateway: number): Promise<Peer> => {
    const xmpp = await connect({ port: t.port(gateway), username: user, resource: 'r' });
    const p = new Peer(xmpp, xmpp.jid!.toString());
    peers.push(p);
    await p.available();
    return p;
  };

  /** Restarts one process (SIGTERM, then a new one of the same kind and name). */
  const restart = async (p: ClusterProcess): Promise<ClusterProcess> => {
    await p.proc.stop();
    const list: ClusterProcess[] =
      p.kind === 'gateway'
        ? cluster.gateways
        : p.kind === 'muc'
          ? cluster.mucs
          : cluster.registries;
    list.splice(list.indexOf(p), 1);
    const next = await cluster.spawn(p.kind as ProcessKind, p.name);
    await vi.waitFor(async () => expect(await ready(next.httpPort), `${p.name} ready`).toBe(true), {
      timeout: 30_000,
      interval: 100,
    });
    return next;
  };

  /** Everyone sees a message from `from` (proves the whole path works). */
  const roundTrip = async (from: Peer, nick: string, others: Peer[], body: string) => {
    for (const p of [from, ...others]) p.mark();
    await groupchat(from, ROOM, body);
    for (const p of [from, ...others]) await p.next(isGroupchat(ROOM, body, nick), WAIT, body);
  };

  beforeAll(async () => {
    t = await startTestCluster(['alice', 'bob', 'carol'], { gateways: 2, registries: 2, mucs: 2 });
    cluster = t.cluster;
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(peers.map((p) => p.stop()));
    await t?.stop();
  }, 90_000);

  it('three users on two gateways share a room through MUC, registry and gateway restarts', async () => {
    let alice = await login('alice', 0);
    let bob = await login('bob', 1);
    let carol = await login('carol', 1);

    const created = await createRoom(alice, ROOM, 'alice', {
      'muc#roomconfig_persistentroom': '1',
      'muc#roomconfig_roomname': 'Operations',
    });
    expect(statusCodes(created)).toContain(201);
    expect(statusCodes(await join(bob, ROOM, 'bob'))).toContain(110);
    const carolSelf = await join(carol, ROOM, 'carol');
    expect(mucItem(carolSelf)?.attrs.role).toBe('participant');
    await roundTrip(alice, 'alice', [bob, carol], 'all here');
    await roundTrip(bob, 'bob', [alice, carol], 'across gateways');

    // Every MUC worker in turn: the room moves with its occupants (nobody rejoins).
    for (const m of [...cluster.mucs]) {
      await restart(m);
      await roundTrip(carol, 'carol', [alice, bob], `after restarting ${m.name}`);
    }
    // Every registry worker in turn: sessions move with their directed presence.
    for (const r of [...cluster.registries]) {
      await restart(r);
      await roundTrip(alice, 'alice', [bob, carol], `after restarting ${r.name}`);
    }
    // A private message still finds its way.
    bob.mark();
    await alice.send(xml('message', { to: `${ROOM}/bob`, type: 'chat' }, xml('body', {}, 'pm')));
    expect((await bob.next((el) => el.getChildText('body') === 'pm', WAIT)).attrs.from).toBe(
      `${ROOM}/alice`,
    );

    // The gateways: clients lose their connections; the persistent room stays and they come back.
    for (const p of [alice, bob, carol]) await p.stop();
    for (const g of [...cluster.gateways]) await restart(g);
    alice = await login('alice', 1);
    bob = await login('bob', 0);
    carol = await login('carol', 0);
    const again = await join(alice, ROOM, 'alice');
    expect(statusCodes(again)).not.toContain(201);
    expect(mucItem(again)?.attrs.affiliation).toBe('owner');
    expect(alice.received(isGroupchat(ROOM, 'all here', 'alice'))).toHaveLength(1);
    await join(bob, ROOM, 'bob');
    await join(carol, ROOM, 'carol');
    const info = await carol.iq('get', ROOM, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(info.getChild('query')?.getChild('identity')?.attrs.name).toBe('Operations');
    const occupants = info
      .getChild('query')
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .find((f) => f.attrs.var === 'muc#roominfo_occupants')
      ?.getChildText('value');
    expect(occupants).toBe('3');
    await roundTrip(bob, 'bob', [alice, carol], 'after restarting everything');
  }, 300_000);
});
