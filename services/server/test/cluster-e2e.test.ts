import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../src/local-cluster.js';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

async function rosterSubscription(c: XmppClient, jid: string): Promise<string | undefined> {
  const res = await c.iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
  return res.getChildren('item').find((i) => i.attrs.jid === jid)?.attrs.subscription;
}

describe.each(['lmdb', 'postgres'] as const)(
  'cluster: three gateways and two session-registry workers over NATS and Redis, %s store',
  (store) => {
    let cluster: LocalCluster;
    let t: TestCluster;
    const clients: XmppClient[] = [];
    const gw = (i: number) => cluster.gateways[i]!.c2sPort!;

    beforeAll(async () => {
      t = await startTestCluster(['alice', 'bob', 'carol', 'dora', 'ed'], { gateways: 3, store });
      cluster = t.cluster;
    }, 120_000);

    afterAll(async () => {
      await Promise.allSettled(clients.map((c) => c.stop()));
      await t?.stop();
    }, 60_000);

    it('users on different gateways subscribe, see presence, exchange messages, and get offline messages', async () => {
      const alice = await connect({ port: gw(0), username: 'alice', resource: 'a1' });
      const bob = await connect({ port: gw(1), username: 'bob', resource: 'b1' });
      clients.push(alice, bob);
      await alice.send(xml('presence'));
      await bob.send(xml('presence'));

      const req = waitFor(bob, (el) => el.is('presence') && el.attrs.type === 'subscribe');
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
      await req;
      const seesBob = waitFor(
        alice,
        (el) => el.is('presence') && !el.attrs.type && el.attrs.from === 'bob@localhost/b1',
      );
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
      await seesBob;
      const req2 = waitFor(alice, (el) => el.is('presence') && el.attrs.type === 'subscribe');
      await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await req2;
      const seesAlice = waitFor(
        bob,
        (el) => el.is('presence') && !el.attrs.type && el.attrs.from === 'alice@localhost/a1',
      );
      await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
      await seesAlice;
      expect(await rosterSubscription(alice, 'bob@localhost')).toBe('both');
      expect(await rosterSubscription(bob, 'alice@localhost')).toBe('both');

      const bare = waitFor(bob, (el) => el.is('message') && el.getChildText('body') === 'to bare');
      await alice.send(
        xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'to bare')),
      );
      expect((await bare).attrs.from).toBe('alice@localhost/a1');
      const full = waitFor(
        alice,
        (el) => el.is('message') && el.getChildText('body') === 'to full',
      );
      await bob.send(
        xml('message', { to: 'alice@localhost/a1', type: 'chat' }, xml('body', {}, 'to full')),
      );
      expect((await full).attrs.from).toBe('bob@localhost/b1');

      // Offline storage across the cluster: carol is offline, logs in on the other gateway.
      await alice.send(
        xml('message', { to: 'carol@localhost', type: 'chat' }, xml('body', {}, 'later')),
      );
      await alice.iqCaller.get(
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
        'carol@localhost',
      );
      const carol = await connect({ port: gw(1), username: 'carol', resource: 'c1' });
      clients.push(carol);
      const later = waitFor(carol, (el) => el.is('message') && el.getChildText('body') === 'later');
      await carol.send(xml('presence'));
      expect((await later).getChild('delay', 'urn:xmpp:delay')).toBeDefined();

      // Unavailable on disconnect crosses gateways too.
      const gone = waitFor(
        alice,
        (el) =>
          el.is('presence') &&
          el.attrs.type === 'unavailable' &&
          el.attrs.from === 'bob@localhost/b1',
      );
      await bob.stop();
      await gone;
    }, 60_000);

    it('carbons reach a second resource on a third gateway (XEP-0280)', async () => {
      const dora1 = await connect({ port: gw(0), username: 'dora', resource: 'one' });
      const dora2 = await connect({ port: gw(2), username: 'dora', resource: 'two' });
      const ed = await connect({ port: gw(1), username: 'ed', resource: 'e' });
      clients.push(dora1, dora2, ed);
      for (const c of [dora1, dora2, ed]) await c.send(xml('presence'));
      await dora2.iqCaller.set(xml('enable', { xmlns: 'urn:xmpp:carbons:2' }));

      const received = waitFor(
        dora2,
        (el) => el.getChild('received', 'urn:xmpp:carbons:2') !== undefined,
      );
      await ed.send(
        xml('message', { to: 'dora@localhost/one', type: 'chat' }, xml('body', {}, 'for one')),
      );
      const r = await received;
      const inner = r
        .getChild('received', 'urn:xmpp:carbons:2')
        ?.getChild('forwarded', 'urn:xmpp:forward:0')
        ?.getChild('message');
      expect(inner?.getChildText('body')).toBe('for one');
      expect(inner?.attrs.from).toBe('ed@localhost/e');

      const sent = waitFor(dora2, (el) => el.getChild('sent', 'urn:xmpp:carbons:2') !== undefined);
      await dora1.send(
        xml('message', { to: 'ed@localhost', type: 'chat' }, xml('body', {}, 'from one')),
      );
      const sc = await sent;
      const inner2 = sc
        .getChild('sent', 'urn:xmpp:carbons:2')
        ?.getChild('forwarded', 'urn:xmpp:forward:0')
        ?.getChild('message');
      expect(inner2?.getChildText('body')).toBe('from one');
    }, 30_000);

    it('a resource conflict across gateways closes the older stream', async () => {
      const first = await connect({ port: gw(0), username: 'carol', resource: 'same' });
      const closed = new Promise<string>((resolve) =>
        first.on('error', (err: Error) => resolve(String(err))),
      );
      const second = await connect({ port: gw(1), username: 'carol', resource: 'same' });
      clients.push(first, second);
      expect(await closed).toMatch(/conflict/);
      await second.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'localhost');
    }, 30_000);
  },
);
