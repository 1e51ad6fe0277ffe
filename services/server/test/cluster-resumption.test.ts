import { TcpRelay } from '@parley/testkit';
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../src/local-cluster.js';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

describe('cluster: XEP-0198 resumption on another gateway after SIGKILL of the first', () => {
  let cluster: LocalCluster;
  let t: TestCluster;
  let relay: TcpRelay;
  const clients: XmppClient[] = [];

  beforeAll(async () => {
    t = await startTestCluster(['ann', 'ben'], {
      partitions: 8,
      // The client acknowledges every stanza: none of those may come twice after the resumption.
      env: { PARLEY_SM_ACK_REQUEST_EVERY: '1' },
    });
    cluster = t.cluster;
    relay = await TcpRelay.start(cluster.gateways[0]!.c2sPort!);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await relay?.close();
    await t?.stop();
  }, 60_000);

  it('redelivers every unacknowledged stanza in order, none twice, and loses nothing sent meanwhile', async () => {
    const ben = client({
      service: `xmpp://127.0.0.1:${relay.port}`,
      domain: 'localhost',
      username: 'ben',
      password: 'secret',
      resource: 'phone',
    });
    ben.on('error', () => undefined);
    const bodies: string[] = [];
    ben.on('stanza', (el: Element) => {
      if (el.is('message') && el.attrs.type !== 'error') bodies.push(el.getChildText('body') ?? '');
    });
    let resumed = 0;
    (
      ben as unknown as { streamManagement: { on(e: string, f: () => void): void } }
    ).streamManagement.on('resumed', () => void resumed++);
    await ben.start();
    clients.push(ben);
    await ben.send(xml('presence'));

    const ann = await connect({
      port: cluster.gateways[1]!.c2sPort!,
      username: 'ann',
      resource: 'desk',
    });
    clients.push(ann);
    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    for (const b of before)
      await ann.send(xml('message', { to: 'ben@localhost', type: 'chat' }, xml('body', {}, b)));
    await vi.waitFor(
      () => expect(bodies.length === before.length, 'the first messages').toBe(true),
      { timeout: 10_000, interval: 50 },
    );

    // Kill ben's gateway outright; his client reconnects through the relay, now to the other gateway.
    relay.target = cluster.gateways[1]!.c2sPort!;
    process.kill(cluster.gateways[0]!.proc.pid, 'SIGKILL');
    const during = Array.from({ length: 5 }, (_, i) => `during-${i}`);
    for (const b of during)
      await ann.send(xml('message', { to: 'ben@localhost', type: 'chat' }, xml('body', {}, b)));

    await vi.waitFor(
      () => expect(resumed === 1, 'ben to resume on the second gateway').toBe(true),
      { timeout: 20_000, interval: 50 },
    );
    const after = Array.from({ length: 5 }, (_, i) => `after-${i}`);
    for (const b of after)
      await ann.send(xml('message', { to: 'ben@localhost', type: 'chat' }, xml('body', {}, b)));
    await vi.waitFor(
      () =>
        expect(
          [...before, ...after].every((b) => bodies.includes(b)),
          'every message before and after',
        ).toBe(true),
      { timeout: 15_000, interval: 50 },
    );
    // Deliveries that went to the dead gateway's stream come back once it is declared dead.
    await vi.waitFor(
      () =>
        expect(
          during.every((b) => bodies.includes(b)),
          'the messages sent while ben was away',
        ).toBe(true),
      { timeout: 40_000, interval: 50 },
    );

    // Before the kill: exactly once each and in order (unacknowledged ones were retransmitted).
    expect(bodies.filter((b) => b.startsWith('before-'))).toEqual(before);
    for (const b of [...during, ...after]) expect(bodies.filter((x) => x === b)).toHaveLength(1);
  }, 120_000);
});
