/**
 * XEP-0198 across gateways: two gateways on one bus share a resumption
 * store; a client resumes on the second after the first died (as with
 * SIGKILL: its sockets gone, nothing more published or stored), or while the
 * first still holds the old stream. Run with the memory store and with Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '@parley/bus';
import { gatewaySubject } from '@parley/routing';
import type { GatewayMessage } from '@parley/routing';
import { MemoryResumptionStore, RedisResumptionStore } from '@parley/store';
import type { ResumptionStore } from '@parley/store';
import { hasBinary, startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import {
  KillSwitch,
  NS_SM,
  authenticate,
  deliver,
  expectReleasedAfterTakeover,
  receiveIds,
  smElement,
  smLogin as loginWithSm,
  storeState,
} from './helpers/sm.js';

interface StoreSet {
  /** One store per gateway (separate connections for Redis) and one for the test to look into. */
  gw1: ResumptionStore;
  gw2: ResumptionStore;
  inspect: ResumptionStore;
  close(): Promise<void>;
}

function clusterTests(name: string, openStores: () => Promise<StoreSet>): void {
  describe(`resumption across gateways (${name})`, () => {
    let stores: StoreSet;
    let h1: Harness;
    let h2: Harness;
    let kill: KillSwitch;
    let toGw1: GatewayMessage[];

    async function start(resumeTimeoutMs: number): Promise<void> {
      stores = await openStores();
      kill = new KillSwitch();
      const configure = (c: { sm: { resumeTimeoutMs: number; ackRequestEvery: number } }) => {
        c.sm.resumeTimeoutMs = resumeTimeoutMs;
        c.sm.ackRequestEvery = 100;
      };
      h1 = await startHarness({
        gatewayId: 'gw1',
        configure,
        resumption: kill.store(stores.gw1),
        wrapBus: (bus) => kill.bus(bus),
      });
      h2 = await startHarness({ gatewayId: 'gw2', configure, cluster: h1, resumption: stores.gw2 });
      await h1.createAccount('kim', 'secret');
      toGw1 = [];
      h1.bus.subscribe(
        gatewaySubject('gw1'),
        (m: BusMessage) => void toGw1.push(m.data as GatewayMessage),
      );
    }

    afterEach(async () => {
      await h2.close();
      await h1.close();
      await stores.close();
    });

    const smLogin = (h: Harness, resource: string) => loginWithSm(h, 'kim', resource);

    it('resumes on a second gateway after the first was killed: every unacked stanza, in order, none of the acked', async () => {
      await start(60_000);
      const { client, jid, conn, id } = await smLogin(h1, 'phone');
      client.send("<message to='dave@localhost' id='up1'><body>1</body></message>");
      client.send("<message to='dave@localhost' id='up2'><body>2</body></message>");
      for (const n of [1, 2, 3, 4, 5]) deliver(h1.bus, 'gw1', conn, jid, `m${n}`);
      expect(await receiveIds(client, 5)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      client.send(`<a xmlns='${NS_SM}' h='2'/>`);
      await storeState(
        stores.inspect,
        id,
        (s) => s.acked === 2 && s.inboundH === 2 && s.outboundSeq === 5,
        'the first gateway to store acks and counts',
      );

      // SIGKILL: from now on gw1 neither publishes nor stores anything; its sockets die.
      kill.kill();
      client.close();
      await h1.gateway.close();
      const published = h1.registry.received.length;

      const again = await authenticate(h2, 'kim', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='2'/>`);
      const resumed = await smElement(again, 'resumed');
      expect(resumed.attr('h')).toBe('2');
      expect(await receiveIds(again, 3)).toEqual(['m3', 'm4', 'm5']);

      const takeover = await h2.registry.waitFor('bind', (b) => b.takeover === conn);
      expect(takeover).toMatchObject({ gw: 'gw2', jid: 'kim@localhost', resource: 'phone' });
      // The dead gateway is told to let go; nobody listens, nothing breaks.
      expect(toGw1).toContainEqual(expect.objectContaining({ t: 'sm-takeover', conn, id }));
      const since = h1.registry.received.slice(published).map((r) => r.msg.t);
      expect(since).toEqual(['bind']);
      expect(await stores.inspect.get(id)).toMatchObject({
        gw: 'gw2',
        conn: takeover.conn,
        epoch: 2,
      });

      // The resumed stream carries on with the old counters.
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm6');
      expect(await receiveIds(again, 1)).toEqual(['m6']);
      again.send(`<a xmlns='${NS_SM}' h='6'/>`);
      await storeState(
        stores.inspect,
        id,
        (s) => s.acked === 6 && s.outbound.length === 0,
        'all acked',
      );
      again.send("<message to='dave@localhost' id='up3'><body>3</body></message>");
      again.send(`<r xmlns='${NS_SM}'/>`);
      expect((await smElement(again, 'a')).attr('h')).toBe('3');
      expect(h2.registry.of('unbind')).toHaveLength(0);
      again.close();
    });

    it('a gateway draining on SIGTERM keeps resumable sessions: the client resumes on another gateway', async () => {
      await start(60_000);
      const { client, jid, conn, id } = await smLogin(h1, 'tablet');
      for (const n of [1, 2, 3]) deliver(h1.bus, 'gw1', conn, jid, `d${n}`);
      expect(await receiveIds(client, 3)).toEqual(['d1', 'd2', 'd3']);
      await storeState(stores.inspect, id, (s) => s.outboundSeq === 3, 'the deliveries stored');

      const closing = h1.gateway.close();
      expect(await client.streamError()).toBe('system-shutdown');
      await closing;
      expect(h1.registry.of('unbind')).toHaveLength(0);

      const again = await authenticate(h2, 'kim', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='1'/>`);
      expect((await smElement(again, 'resumed')).attr('previd')).toBe(id);
      expect(await receiveIds(again, 2)).toEqual(['d2', 'd3']);
      await h2.registry.waitFor('bind', (b) => b.takeover === conn);
      again.close();
    });

    it('resumes on a second gateway while the first still holds the old stream', async () => {
      await start(60_000);
      const old = await smLogin(h1, 'laptop');
      deliver(h1.bus, 'gw1', old.conn, old.jid, 'k1');
      expect(await receiveIds(old.client, 1)).toEqual(['k1']);
      await storeState(stores.inspect, old.id, (s) => s.outboundSeq === 1, 'k1 stored');

      const fresh = await authenticate(h2, 'kim', 'secret');
      fresh.send(`<resume xmlns='${NS_SM}' previd='${old.id}' h='0'/>`);
      await smElement(fresh, 'resumed');
      expect(await receiveIds(fresh, 1)).toEqual(['k1']);
      // gw1 closes the old stream with <conflict/>, bounces late deliveries, does not unbind.
      await expectReleasedAfterTakeover(h1, old);
      fresh.close();
    });

    it('a fence: the old gateway lets go of the connection, bounces what the new owner lacks, then answers fence-done behind it', async () => {
      await start(60_000);
      const old = await smLogin(h1, 'fenced');
      deliver(h1.bus, 'gw1', old.conn, old.jid, 'f1');
      expect(await receiveIds(old.client, 1)).toEqual(['f1']);
      await storeState(stores.inspect, old.id, (s) => s.outboundSeq === 1, 'f1 stored');
      // Another gateway claims the record (a resumption there); the registry has not moved the
      // session yet, so f2 and f3 still reach the old connection: too late to be stored.
      const now = Date.now();
      const claimed = await stores.inspect.claim(old.id, {
        epoch: 1,
        gw: 'gw2',
        conn: 'elsewhere',
        now,
        expiresAt: now + 60_000,
      });
      expect(claimed).toBeDefined();
      deliver(h1.bus, 'gw1', old.conn, old.jid, 'f2');
      deliver(h1.bus, 'gw1', old.conn, old.jid, 'f3');
      // The registry moved the session and fences the old connection behind f2 and f3.
      h1.bus.publish(gatewaySubject('gw1'), {
        t: 'fence',
        conn: old.conn,
        jid: old.jid,
        id: 'fence-1',
      } satisfies GatewayMessage);
      await h1.registry.waitFor('fence-done', (d) => d.id === 'fence-1');
      expect(await old.client.streamError()).toBe('conflict');
      const after = h1.registry.received
        .map((r) => r.msg)
        .filter((m) => (m.t === 'bounce' && m.conn === old.conn) || m.t === 'fence-done');
      expect(after.map((m) => (m.t === 'bounce' ? m.env.id : m.t))).toEqual([
        'f2',
        'f3',
        'fence-done',
      ]);
      expect(after.at(-1)).toMatchObject({ jid: old.jid, conn: old.conn });
      // Neither an unbind (the session lives on elsewhere) nor a second set of bounces
      // when the new gateway's sm-takeover arrives afterwards.
      h1.bus.publish(gatewaySubject('gw1'), {
        t: 'sm-takeover',
        conn: old.conn,
        id: old.id,
      } satisfies GatewayMessage);
      deliver(h1.bus, 'gw1', old.conn, old.jid, 'f4'); // a marker: bounced at once
      await h1.registry.waitFor('bounce', (b) => b.env.id === 'f4');
      expect(h1.registry.of('bounce').map((b) => b.env.id)).toEqual(['f2', 'f3', 'f4']);
      expect(h1.registry.of('unbind')).toHaveLength(0);
    });

    it('a fence for a connection the gateway no longer holds is answered at once', async () => {
      await start(60_000);
      h1.bus.publish(gatewaySubject('gw1'), {
        t: 'fence',
        conn: 'gone',
        jid: 'kim@localhost/x',
        id: 'fence-2',
      } satisfies GatewayMessage);
      const done = await h1.registry.waitFor('fence-done', (d) => d.id === 'fence-2');
      expect(done).toMatchObject({ jid: 'kim@localhost/x', conn: 'gone' });
    });

    it('ends the sessions of a dead gateway when nobody resumes them: unbind and bounces from a survivor', async () => {
      await start(400);
      const { client, jid, conn, id } = await smLogin(h1, 'gone');
      deliver(h1.bus, 'gw1', conn, jid, 'lost1');
      deliver(h1.bus, 'gw1', conn, jid, 'lost2', { kind: 'presence' });
      await receiveIds(client, 2);
      await storeState(stores.inspect, id, (s) => s.outboundSeq === 2, 'both stored');
      kill.kill();
      client.close();
      await h1.gateway.close();

      const unbind = await h2.registry.waitFor('unbind', (u) => u.jid === jid, 5_000);
      expect(unbind).toMatchObject({ gw: 'gw1', conn });
      const published = (await h2.publishedBeforeMarker()).map((r) => r.msg);
      const bounces = published.filter((m) => m.t === 'bounce' && m.to === jid);
      expect(bounces.map((b) => (b.t === 'bounce' ? b.env.id : b.t))).toEqual(['lost1']);
      expect(bounces[0]).toMatchObject({ conn });
      expect(await stores.inspect.get(id)).toBeUndefined();
      expect(published.filter((m) => m.t === 'unbind' && m.jid === jid)).toHaveLength(1);
    });

    it('drops the drained copy of a delivery the client has (same delivery id), nothing else', async () => {
      await start(60_000);
      const { client, jid, conn, id } = await smLogin(h1, 'phone');
      for (const n of [1, 2, 3]) deliver(h1.bus, 'gw1', conn, jid, `m${n}`, { did: `d${n}` });
      expect(await receiveIds(client, 3)).toEqual(['m1', 'm2', 'm3']);
      client.send(`<a xmlns='${NS_SM}' h='1'/>`);
      const stored = await storeState(
        stores.inspect,
        id,
        (s) => s.acked === 1 && s.outboundSeq === 3,
        'the first gateway to store the stanzas and the ack',
      );
      expect(stored.outbound.map(([seq, , did]) => [seq, did])).toEqual([
        [2, 'd2'],
        [3, 'd3'],
      ]);
      // m1 is gone from the queue, but its delivery id stays for a while.
      expect(stored.ackedDids).toEqual(['d1']);

      // SIGKILL before gw1 confirmed m1 to m3 to the registry: the registry drains them from
      // gw1's subject, parks them, and hands them to the resumed session behind the fence.
      kill.kill();
      client.close();
      await h1.gateway.close();

      const again = await authenticate(h2, 'kim', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='2'/>`);
      expect((await smElement(again, 'resumed')).attr('h')).toBe('0');
      expect(await receiveIds(again, 1)).toEqual(['m3']);
      const takeover = await h2.registry.waitFor('bind', (b) => b.takeover === conn);

      // The parked copies (m1 acknowledged before the kill, m2 with the resumption, m3
      // retransmitted), a stanza with a known id but another content, one without id, then a
      // new delivery.
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm1', { did: 'd1' });
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm2', { did: 'd2' });
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm3', { did: 'd3' });
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'other', { did: 'd3' });
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm3');
      deliver(h2.bus, 'gw2', takeover.conn, jid, 'm4', { did: 'd4' });
      expect(await receiveIds(again, 3)).toEqual(['other', 'm3', 'm4']);
      const after = await storeState(
        stores.inspect,
        id,
        (s) => s.outboundSeq === 6,
        'the second gateway to store what it wrote',
      );
      expect(after.outbound.map(([seq, , did]) => [seq, did])).toEqual([
        [3, 'd3'],
        [4, 'd3'],
        [5, undefined],
        [6, 'd4'],
      ]);
      again.close();
    });
  });
}

clusterTests('memory store', async () => {
  const store = new MemoryResumptionStore();
  return { gw1: store, gw2: store, inspect: store, close: () => store.close() };
});

describe.skipIf(!hasBinary('redis-server'))('with Redis', () => {
  let redis: RedisServer;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  clusterTests('Redis store', async () => {
    const prefix = `c${++n}:sm:`;
    const open = () => new RedisResumptionStore({ url: redis.url, prefix });
    const set = { gw1: open(), gw2: open(), inspect: open() };
    return {
      ...set,
      async close() {
        await Promise.all([set.gw1.close(), set.gw2.close(), set.inspect.close()]);
      },
    };
  });
});
