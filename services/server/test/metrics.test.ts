/**
 * The Prometheus endpoint of a running server: counters and histograms move
 * after a login and a message.
 */
import { createHash } from 'node:crypto';
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

const SCRAPER = 'scraper-secret';
const READER = 'reader-secret';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
/** A metrics-only token (Prometheus) and an API token without the metrics scope. */
const TOKENS = [
  { name: 'prometheus', sha256: sha(SCRAPER), scopes: ['metrics' as const] },
  { name: 'reader', sha256: sha(READER), scopes: ['read' as const] },
];

describe('/metrics', () => {
  let t: TestServer;
  let url: string;
  const clients: XmppClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestServer({ http: { port }, admin: { tokens: TOKENS } });
    url = `http://127.0.0.1:${port}/metrics`;
    for (const u of ['alice', 'bob']) await t.addUser(u);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${SCRAPER}` } });
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

describe('/metrics access (ops.*)', () => {
  it('needs a token with the metrics scope by default; the probes never do', async () => {
    const port = await freePort();
    const t = await startTestServer({ http: { port }, admin: { tokens: TOKENS } });
    try {
      const base = `http://127.0.0.1:${port}`;
      const none = await fetch(`${base}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="parley-metrics"');
      expect(await none.text()).not.toContain('parley_');
      const reader = await fetch(`${base}/metrics`, {
        headers: { authorization: `Bearer ${READER}` },
      });
      expect(reader.status).toBe(403);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('moves to the ops listener with ops.port, open there with ops.requireToken off', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const t = await startTestServer({
      http: { port },
      ops: { port: opsPort, host: '127.0.0.1', requireToken: false },
    });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const m = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toMatch(/^parley_c2s_connections\{/m);
    } finally {
      await t.stop();
    }
  });
});
