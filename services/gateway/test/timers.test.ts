/**
 * The gateway's timer-driven paths on fake timers: the sweep (idle probe,
 * negotiation deadline, XEP-0198 ack requests after 30 s of silence, the
 * touches that keep an attached session's record alive) and the resumption reaper (a detached
 * session expires exactly at its deadline). A real gateway on a real
 * socket, the in-process bus and a memory resumption store; only
 * setInterval and Date are faked, so the sweep and the reaper run when the
 * test moves the clock and never otherwise, while I/O, the bus and the
 * stores run as usual. Nothing here waits with vi.waitFor (it would move the
 * clock): waits are for events (elements, bus messages, log records).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryResumptionStore } from '@parley/store';
import type { Config } from '@parley/config';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import {
  NS_SM,
  authenticate,
  deliver,
  receiveIds,
  receivedBeforeAck,
  smElement,
  smLogin,
} from './helpers/sm.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const GW = 'gw-timers';

describe('gateway timers (fake clock)', () => {
  let h: Harness;
  let store: MemoryResumptionStore;
  let started: number;

  async function start(configure: (c: Config) => void): Promise<void> {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    store = new MemoryResumptionStore();
    h = await startHarness({ gatewayId: GW, resumption: store, configure });
    await h.createAccount('tia', 'secret');
    started = Date.now();
  }
  afterEach(async () => {
    vi.useRealTimers();
    await h.close();
    await store.close();
  });

  /** Moves the clock by `ms` (the sweep and the reaper run), then lets what they started finish. */
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    await h.bus.flush();
  };
  /** Milliseconds on the fake clock since the gateway started. */
  const elapsed = () => Date.now() - started;
  const closedWithError = () =>
    h.logs.filter((l) => l.includes('closing client stream with error'));

  describe('idle probe (c2s.idleTimeoutMs 4 s, c2s.idleProbeTimeoutMs 2 s, sweep every 500 ms)', () => {
    beforeEach(() =>
      start((c) => {
        c.c2s.idleTimeoutMs = 4_000;
        c.c2s.idleProbeTimeoutMs = 2_000;
        c.sm.ackRequestEvery = 100;
      }),
    );

    it('probes a stream that read nothing for exactly the timeout, closes it when the probe goes unanswered for the grace period, and keeps its session for resumption', async () => {
      const { client, conn, id } = await smLogin(h, 'tia', 'idle');
      // Everything so far was read at the start time: the clock has not moved.
      expect(elapsed()).toBe(0);
      await advance(3_000);
      expect(closedWithError()).toEqual([]);
      // Reading resets it: <r/> at 3 s, answered.
      expect(await receivedBeforeAck(client)).toBe('');
      await advance(3_500); // 6.5 s: 3.5 s since the last read
      expect(client.raw).not.toContain(`<r xmlns='${NS_SM}'/>`);
      await advance(500); // 7 s: 4 s since the last read: the probe, an ack request
      await smElement(client, 'r');
      expect(closedWithError()).toEqual([]);
      await advance(1_500); // 8.5 s: 1.5 s without an answer
      expect(closedWithError()).toEqual([]);
      await advance(500); // 9 s: the grace period is over
      expect(closedWithError()).toHaveLength(1);
      expect(await client.streamError()).toBe('connection-timeout');
      await h.connectionClosed(conn);
      // The peer is presumed gone, not done: a resumable session waits for it.
      await h.logged('stream management session detached', { conn });
      expect(h.gateway.detachedCount()).toBe(1);
      expect(h.registry.of('unbind')).toEqual([]);
      const again = await authenticate(h, 'tia', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
      await smElement(again, 'resumed');
      again.close();
    });
  });

  describe('idle probe answered (c2s.idleTimeoutMs 4 s, c2s.idleProbeTimeoutMs 2 s)', () => {
    beforeEach(() =>
      start((c) => {
        c.c2s.idleTimeoutMs = 4_000;
        c.c2s.idleProbeTimeoutMs = 2_000;
        c.sm.ackRequestEvery = 100;
      }),
    );

    it('keeps a stream that answers the probe, and probes it again after another quiet spell', async () => {
      const { client } = await smLogin(h, 'tia', 'answers');
      await advance(4_000); // 4 s: the probe
      await smElement(client, 'r');
      client.send(`<a xmlns='${NS_SM}' h='0'/>`);
      // Read at 4 s (the marker's <r/> comes after the answer on the same stream).
      expect(await receivedBeforeAck(client)).toBe('');
      await advance(3_000); // 7 s: the grace period of the first probe is long over
      expect(closedWithError()).toEqual([]);
      await advance(1_000); // 8 s: 4 s since the answer: probed again
      await smElement(client, 'r');
      expect(closedWithError()).toEqual([]);
      client.close();
    });
  });

  describe('negotiation deadline (c2s.connectTimeoutMs 8 s, sweep every second)', () => {
    beforeEach(() => start((c) => (c.c2s.connectTimeoutMs = 8_000)));

    it('closes a stream not bound within the deadline, counted from the connection, whatever it reads', async () => {
      const client = await h.connect();
      await client.open(); // read at 0 s
      await advance(6_000);
      await client.starttls(); // read at 6 s: the deadline does not move
      await client.open();
      await advance(1_999);
      expect(closedWithError()).toEqual([]);
      await advance(1);
      expect(closedWithError()).toHaveLength(1);
      expect(await client.streamError()).toBe('connection-timeout');
    });

    it('does not apply to a bound stream', async () => {
      const { client } = await h.login('tia', 'secret', 'bound');
      await advance(60_000);
      expect(closedWithError()).toEqual([]);
      client.close();
    });
  });

  describe('stream management (sm.resumeTimeoutMs 10 s: sweep every second, reaper every 2 s)', () => {
    beforeEach(() =>
      start((c) => {
        c.sm.resumeTimeoutMs = 10_000;
        c.sm.ackRequestEvery = 100;
      }),
    );

    it('asks for an ack once unacknowledged stanzas are 30 s old, not a sweep earlier', async () => {
      const { client, jid, conn } = await smLogin(h, 'tia', 'quiet');
      deliver(h.bus, GW, conn, jid, 'q1');
      expect(await receiveIds(client, 1)).toEqual(['q1']);
      await advance(29_000);
      // Nothing but the answer to our own <r/>: no request from the server yet.
      expect(await receivedBeforeAck(client)).toBe('');
      await advance(1_000);
      await smElement(client, 'r');
      client.send(`<a xmlns='${NS_SM}' h='1'/>`);
      expect(await receivedBeforeAck(client)).toBe('');
      // Everything acknowledged: no more requests, however long it stays quiet.
      await advance(60_000);
      expect(await receivedBeforeAck(client)).not.toContain('<r ');
      client.close();
    });

    it('keeps the record of an attached session alive past its timeout by touching it', async () => {
      const { client, id } = await smLogin(h, 'tia', 'steady');
      const first = (await store.get(id))!.expiresAt;
      expect(first).toBe(started + 10_000);
      await advance(60_000);
      const now = Date.now();
      const record = await store.get(id);
      // Touched every third of the timeout: never more than that behind.
      expect(record!.expiresAt).toBeGreaterThan(now + 10_000 - 10_000 / 3 - 1_000);
      expect(h.registry.of('unbind')).toEqual([]);
      // Still resumable: a fresh stream takes it over.
      const again = await authenticate(h, 'tia', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
      await smElement(again, 'resumed');
      expect(await client.streamError()).toBe('conflict');
      again.close();
    });

    it('expires a detached session exactly at its deadline: unbind, unacknowledged stanzas bounced, resumption refused', async () => {
      const { client, jid, conn, id } = await smLogin(h, 'tia', 'gone');
      deliver(h.bus, GW, conn, jid, 'u1');
      expect(await receiveIds(client, 1)).toEqual(['u1']);
      client.close();
      await h.logged('stream management session detached', { conn });
      const detachedAt = elapsed();
      expect((await store.get(id))!.expiresAt).toBe(started + detachedAt + 10_000);

      await advance(9_999);
      expect(h.registry.of('unbind')).toEqual([]);
      expect(h.gateway.detachedCount()).toBe(1);
      await advance(1); // the deadline; the reaper runs every 2 s, and 10 s is one of its passes
      const unbind = await h.registry.waitFor('unbind', (u) => u.conn === conn);
      expect(unbind).toMatchObject({ jid, gw: GW });
      const published = await h.publishedBeforeMarker();
      expect(published.flatMap((r) => (r.msg.t === 'bounce' ? [r.msg.env.id] : []))).toEqual([
        'u1',
      ]);
      expect(h.gateway.detachedCount()).toBe(0);
      const again = await authenticate(h, 'tia', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
      expect(
        (await smElement(again, 'failed')).getChild('item-not-found', NS_STANZAS),
      ).toBeDefined();
      again.close();
    });

    it('resumes a detached session a millisecond before its deadline', async () => {
      const { client, jid, conn, id } = await smLogin(h, 'tia', 'late');
      deliver(h.bus, GW, conn, jid, 'l1');
      expect(await receiveIds(client, 1)).toEqual(['l1']);
      client.close();
      await h.logged('stream management session detached', { conn });
      await advance(9_999);
      const again = await authenticate(h, 'tia', 'secret');
      again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
      await smElement(again, 'resumed');
      expect(await receiveIds(again, 1)).toEqual(['l1']);
      // Resumed: the deadline passing changes nothing.
      await advance(20_000);
      expect(h.registry.of('unbind')).toEqual([]);
      again.close();
    });

    it('bounces a delivery that arrives while an expired session is being ended', async () => {
      const { client, jid, conn } = await smLogin(h, 'tia', 'ending');
      for (const n of [1, 2, 3]) deliver(h.bus, GW, conn, jid, `e${n}`);
      expect(await receiveIds(client, 3)).toEqual(['e1', 'e2', 'e3']);
      client.send(`<a xmlns='${NS_SM}' h='1'/>`);
      expect(await receivedBeforeAck(client)).toBe('');
      client.close();
      await h.logged('stream management session detached', { conn });
      // Delivered as soon as the unbind is out, while the gateway is still ending the session.
      const unbound = h.registry
        .waitFor('unbind', (u) => u.conn === conn)
        .then(() => deliver(h.bus, GW, conn, jid, 'behind'));
      await vi.advanceTimersByTimeAsync(10_000);
      await unbound;
      const bounce = await h.registry.waitFor('bounce', (b) => b.env.id === 'behind');
      expect(bounce).toMatchObject({ to: jid, conn });
    });
  });
});
