import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../src/local-cluster.js';
import { ready, startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const PAIRS = 8;

describe('cluster drills (real nats-server, redis-server and processes)', () => {
  let cluster: LocalCluster;
  let t: TestCluster;
  const senders: XmppClient[] = [];
  const receivers: XmppClient[] = [];
  const received = new Map<string, number>();
  const bounced = new Set<string>();

  beforeAll(async () => {
    const users: string[] = [];
    for (let i = 0; i < PAIRS; i++) users.push(`s${i}`, `r${i}`);
    t = await startTestCluster(users);
    cluster = t.cluster;
    for (let i = 0; i < PAIRS; i++) {
      const r = await connect({
        port: cluster.gateways[1]!.c2sPort!,
        username: `r${i}`,
        resource: 'r',
      });
      r.on('stanza', (el) => {
        const id = el.attrs.id;
        if (el.is('message') && id && el.attrs.type !== 'error')
          received.set(id, (received.get(id) ?? 0) + 1);
      });
      await r.send(xml('presence'));
      receivers.push(r);
      const s = await connect({
        port: cluster.gateways[0]!.c2sPort!,
        username: `s${i}`,
        resource: 's',
      });
      s.on('stanza', (el) => {
        if (el.is('message') && el.attrs.type === 'error' && el.attrs.id) bounced.add(el.attrs.id);
      });
      senders.push(s);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([...senders, ...receivers].map((c) => c.stop()));
    await t?.stop();
  }, 60_000);

  /** Sends `perSender` messages from every sender to its receiver, spread over `ms`. */
  async function load(
    tag: string,
    perSender: number,
    ms: number,
    during?: () => Promise<void>,
  ): Promise<string[]> {
    const ids: string[] = [];
    const sending = (async () => {
      for (let n = 0; n < perSender; n++) {
        await Promise.all(
          senders.map((s, i) => {
            const id = `${tag}-${i}-${n}`;
            ids.push(id);
            return s.send(
              xml('message', { to: `r${i}@localhost`, type: 'chat', id }, xml('body', {}, id)),
            );
          }),
        );
        await new Promise((r) => setTimeout(r, ms / perSender)); // pacing: the offered load
      }
    })();
    await Promise.all([sending, during?.()]);
    return ids;
  }

  it('SIGKILL of a session-registry worker under load: its partitions move, no message vanishes', async () => {
    const victim = cluster.registries[0]!;
    const ids = await load('kill', 60, 3000, async () => {
      await new Promise((r) => setTimeout(r, 1000)); // the kill comes 1 s into the load
      process.kill(victim.proc.pid, 'SIGKILL');
    });
    await vi.waitFor(
      () =>
        expect(
          ids.every((id) => received.has(id) || bounced.has(id)),
          'every message delivered or bounced',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
    const delivered = ids.filter((id) => received.has(id)).length;
    const errors = ids.filter((id) => bounced.has(id) && !received.has(id)).length;
    expect(delivered + errors).toBe(ids.length);
    expect(delivered).toBe(ids.length); // receivers were online throughout
  }, 90_000);

  it('NATS restart: gateways and workers reconnect by themselves and messages flow again', async () => {
    await cluster.nats!.restart();
    await vi.waitFor(
      async () =>
        expect(
          (
            await Promise.all(
              [...cluster.gateways, ...cluster.registries.slice(1)].map((p) => ready(p.httpPort)),
            )
          ).every(Boolean),
          'every process ready again',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
    const ids = await load('nats', 10, 500);
    await vi.waitFor(
      () =>
        expect(
          ids.every((id) => received.has(id)),
          'messages after the NATS restart',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
  }, 90_000);

  it('Redis restart: nothing crashes, readiness reports it, routing goes on, then recovers', async () => {
    await cluster.redis!.kill();
    await vi.waitFor(
      async () =>
        expect(
          !(await ready(cluster.gateways[0]!.httpPort)),
          'gateway not ready without Redis',
        ).toBe(true),
      { timeout: 15_000, interval: 50 },
    );
    for (const p of [...cluster.gateways, ...cluster.registries.slice(1)])
      expect(p.proc.exited).toBe(false);
    const during = await load('redis-down', 5, 300);
    await vi.waitFor(
      () =>
        expect(
          during.every((id) => received.has(id)),
          'messages while Redis is down',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
    await cluster.redis!.start();
    await vi.waitFor(
      async () =>
        expect(
          await ready(cluster.gateways[0]!.httpPort),
          'gateway ready after Redis is back',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
    const after = await load('redis-back', 5, 300);
    await vi.waitFor(
      () =>
        expect(
          after.every((id) => received.has(id)),
          'messages after Redis is back',
        ).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
  }, 120_000);
});
