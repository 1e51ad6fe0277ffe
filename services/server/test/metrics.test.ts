/**
 * The Prometheus endpoint of a running server: counters and histograms move
 * after a login and a message.
 */
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@parley/testkit';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

/**
 * The value of one series in an exposition text (0 when absent): `series` is
 * `name{a="1",b="2"}`; label order does not matter.
 */
function sample(text: string, series: string): number {
  const [name, labels = ''] = series.replace('}', '').split('{');
  const want = labels
    .split(',')
    .filter((l) => l !== '')
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '')
      .split(',')
      .filter((l) => l !== '')
      .sort()
      .join(',');
    if (have === want) return Number(m[3]);
  }
  return 0;
}

describe('/metrics', () => {
  let t: TestServer;
  let url: string;
  const clients: XmppClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestServer({ http: { port } });
    url = `http://127.0.0.1:${port}/metrics`;
    for (const u of ['alice', 'bob']) await t.addUser(u);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('counts logins, stanzas, routing latency and store operations', async () => {
    const login = 'parley_c2s_logins_total{mechanism="SCRAM-SHA-1",result="success",node="test"}';
    const failed = 'parley_c2s_logins_total{mechanism="SCRAM-SHA-1",result="failure",node="test"}';
    const msgsIn = 'parley_c2s_stanzas_total{direction="in",kind="message",node="test"}';
    const latency = 'parley_routing_latency_seconds_count{kind="message",node="test"}';
    const accountReads =
      'parley_store_operation_seconds_count{backend="lmdb",store="accounts",op="get",node="test"}';
    const conns = 'parley_c2s_connections{transport="tcp",node="test"}';
    const before = await scrape();

    const alice = await connect({ port: t.port, username: 'alice', resource: 'a' });
    const bob = await connect({ port: t.port, username: 'bob', resource: 'b' });
    clients.push(alice, bob);
    await expect(connect({ port: t.port, username: 'bob', password: 'wrong' })).rejects.toThrow();
    const got = waitFor(bob, (s) => s.is('message') && s.getChildText('body') === 'counted');
    await alice.send(
      xml('message', { to: 'bob@localhost/b', type: 'chat' }, xml('body', {}, 'counted')),
    );
    await got;
    const after = await scrape();

    expect(sample(after, login) - sample(before, login)).toBe(2);
    expect(sample(after, failed) - sample(before, failed)).toBe(1);
    expect(sample(after, msgsIn) - sample(before, msgsIn)).toBeGreaterThanOrEqual(1);
    expect(sample(after, latency) - sample(before, latency)).toBeGreaterThanOrEqual(1);
    expect(sample(after, accountReads) - sample(before, accountReads)).toBeGreaterThanOrEqual(3);
    expect(sample(after, conns)).toBeGreaterThanOrEqual(2); // the refused one may not be closed yet
    // Process metrics: heap and event-loop lag, with the parley_ prefix.
    expect(after).toMatch(/^parley_nodejs_heap_size_used_bytes\{/m);
    expect(after).toMatch(/^parley_nodejs_eventloop_lag_p99_seconds\{/m);
  });
});
