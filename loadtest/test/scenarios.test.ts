import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@parley/config';
import { newAccount, startServer } from '@parley/server';
import type { RunningServer } from '@parley/server';
import type { Element } from '@parley/xml';
import { LoadClient } from '../src/client.js';
import { splitSessions, workerCommand } from '../src/scenarios/coordinator.js';
import { Histogram, bucketOf, bucketValue } from '../src/scenarios/histogram.js';
import { roundFigures } from '../src/scenarios/login-storm.js';
import { contactsOf } from '../src/scenarios/presence-storm.js';
import { SCENARIOS, scenarioByName } from '../src/scenarios/registry.js';
import { lineChart, niceMax, reportHtml } from '../src/scenarios/report.js';
import type { RunReport } from '../src/scenarios/report.js';
import { tsOfBody } from '../src/scenarios/common.js';
import { zeroCounters } from '../src/scenarios/types.js';
import { Gate, sourceAddresses } from '../src/scenarios/worker.js';
import { scenarioConfig } from '../src/scenarios/config.js';

describe('scenario plumbing', () => {
  it('merges histograms from several workers into percentiles within a bucket', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 500; i++) a.record(i);
    for (let i = 501; i <= 1000; i++) b.record(i);
    const all = new Histogram();
    all.merge(a.sparse(), a.max);
    all.merge(b.sparse(), b.max);
    const f = all.figures();
    expect(f.count).toBe(1000);
    expect(f.max).toBe(1000);
    expect(f.p50! / 500).toBeGreaterThan(0.98);
    expect(f.p50! / 500).toBeLessThan(1.03);
    expect(f.p99! / 990).toBeGreaterThan(0.98);
    expect(f.p99! / 990).toBeLessThan(1.03);
    expect(new Histogram().figures().p50).toBeNull();
    expect(bucketValue(bucketOf(3.3))).toBeGreaterThanOrEqual(3.3);
  });

  it('splits sessions into contiguous ranges and gives each worker its own addresses', () => {
    expect(splitSessions(10, 3)).toEqual([
      { first: 0, count: 4 },
      { first: 4, count: 3 },
      { first: 7, count: 3 },
    ]);
    expect(splitSessions(100_000, 7).reduce((s, r) => s + r.count, 0)).toBe(100_000);
    expect(sourceAddresses(0, 2)).toEqual(['127.0.1.1', '127.0.1.2']);
    expect(sourceAddresses(6, 1)).toEqual(['127.0.7.1']);
    expect(sourceAddresses(3, 0)).toEqual([]);
  });

  it('starts workers under their own open-file limit', () => {
    const [cmd, args] = workerCommand(20000, '/x/scenarios-main.js');
    expect([cmd, ...args].join(' ')).toMatch(/nofile=20000:20000|ulimit -n 20000/);
    expect(args).toContain('__worker');
  });

  it('bounds the negotiations in flight', async () => {
    const g = new Gate(2);
    await g.acquire();
    await g.acquire();
    let third = false;
    const p = g.acquire().then(() => (third = true));
    // Every promise callback queued so far has run by the next macrotask: a third holder
    // would have been let in by then.
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    g.release();
    await p;
    expect(third).toBe(true);
  });

  it('reads each scenario its own options and leaves the rest', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([
      'login-storm',
      'idle-hold',
      'chat',
      'muc-fanout',
      'presence-storm',
      'reconnect-storm',
    ]);
    const chat = scenarioByName('chat')!;
    const { cfg, rest } = scenarioConfig(chat, [
      '--sessions',
      '10',
      '--msgRate=250',
      '--neighbours',
      '3',
      '--spawn',
    ]);
    expect(cfg['msgRate']).toBe(250);
    expect(cfg['neighbours']).toBe(3);
    expect(cfg['duration']).toBe(30);
    expect(rest).toEqual(['--sessions', '10', '--spawn']);
    expect(() => scenarioConfig(chat, ['--msgRate', 'x'])).toThrow(/number/);
  });

  it('times each login-storm round from the first worker start to the last worker end', () => {
    const results = [
      { round1Start: 1000, round1End: 3000, round1Logins: 100, round1TlsResumed: 0 },
      { round1Start: 1500, round1End: 5000, round1Logins: 300, round1TlsResumed: 0 },
    ].map((r, k) => ({
      ...r,
      round2Start: 9000 + k,
      round2End: 10_000,
      round2Logins: 200,
      round2TlsResumed: 150 + k,
    }));
    const rounds = roundFigures({
      common: {} as never,
      cfg: { rounds: 2, hold: 0 },
      counters: zeroCounters(),
      notes: {},
      results,
    });
    expect(rounds).toEqual([
      { round: 1, logins: 400, tlsResumed: 0, seconds: 4, loginsPerSecond: 100 },
      { round: 2, logins: 400, tlsResumed: 301, seconds: 1, loginsPerSecond: 400 },
    ]);
  });

  it('gives presence contacts symmetrically and parses timestamps of bodies', () => {
    const n = 50;
    for (let i = 0; i < n; i++) {
      const c = contactsOf(i, n, 6);
      expect(c).toHaveLength(6);
      for (const j of c) expect(contactsOf(j, n, 6)).toContain(i);
    }
    expect(tsOfBody('12 345.5')).toBe(345.5);
    expect(tsOfBody('99.25')).toBe(99.25);
    expect(Number.isNaN(tsOfBody(undefined))).toBe(true);
  });

  it('writes a self-contained HTML report with SVG charts', () => {
    expect(niceMax(73)).toBe(100);
    expect(niceMax(0)).toBe(1);
    const svg = lineChart('t', [0, 1, 2], [{ name: 'a', values: [1, null, 3] }]);
    expect(svg).toMatch(/^<svg[^>]*>.*<path d="M[^"]*"/);
    const lat = { count: 0, p50: null, p90: null, p99: null, max: null };
    const report: RunReport = {
      scenario: 'idle-hold',
      description: 'd <&>',
      command: 'pnpm loadtest idle-hold',
      startedAt: 'now',
      durationS: 2,
      deadlineHit: false,
      machine: {},
      common: {},
      cfg: {},
      target: {},
      workers: [],
      totals: {},
      latency: lat,
      loginLatency: lat,
      figures: { loginsPerSecond: 10 },
      server: {},
      snapshots: {},
      errors: [],
      series: [0, 1].map((t) => ({
        t,
        connected: t * 10,
        inFlight: 0,
        loginsPerS: 10,
        loginErrors: 0,
        sentPerS: 0,
        receivedPerS: 0,
        errors: 0,
        dropped: 0,
        resumed: 0,
        latency: lat,
        loginLatency: lat,
        procs: { 'worker-1': { rssMiB: 50, cpuPct: 20 } },
      })),
    };
    const html = reportHtml(report);
    expect(html).toContain('d &lt;&amp;&gt;');
    expect(html.match(/<svg /g)).toHaveLength(7);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });
});

describe('LoadClient stream resumption (XEP-0198) against the in-process server', () => {
  let server: RunningServer;
  let dataDir: string;
  let port: number;
  const clients: LoadClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-loadtest-sm-'));
    const config = loadConfig({
      env: {},
      overrides: {
        server: { domains: ['localhost'], dataDir, nodeId: 'loadtest' },
        c2s: {
          port: 0,
          host: '127.0.0.1',
          directTlsPort: 0,
          requireTls: false,
          allowPlainWithoutTls: true,
        },
        http: { port: 0 },
        store: { kind: 'memory' },
        log: { level: 'error' },
      },
    });
    server = await startServer(config);
    port = server.gateway.ports.c2s;
    for (const [jid, pw] of [
      ['a@localhost', 'pw-a'],
      ['b@localhost', 'pw-b'],
    ] as const)
      await server.stores.accounts.create(await newAccount(jid, pw, config.sasl.scramIterations));
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes a lost stream and gets what was sent meanwhile, nothing twice', async () => {
    const got: string[] = [];
    const onMessage = (el: Element) => {
      const body = el.getChildText('body');
      if (body !== undefined) got.push(body);
    };
    const a = await LoadClient.connect({ port, jid: 'a@localhost', password: 'pw-a', sm: true });
    const b = await LoadClient.connect({
      port,
      jid: 'b@localhost',
      password: 'pw-b',
      sm: true,
      onMessage,
    });
    clients.push(a);
    expect(b.smId).toBeTruthy();
    a.sendMessage('b@localhost', 'one');
    await vi.waitFor(() => expect(got).toEqual(['one']), { timeout: 2000, interval: 20 });
    const lost = new Promise<void>((resolve) => b.socket.once('close', () => resolve()));
    b.destroy();
    await lost;
    // Sent while b is away, whether or not the server has noticed yet: either way they
    // wait in b's XEP-0198 queue or reach the resumed stream.
    a.sendMessage('b@localhost', 'two');
    a.sendMessage('b@localhost', 'three');
    const b2 = await LoadClient.resume(b, {
      port,
      jid: 'b@localhost',
      password: 'pw-b',
      onMessage,
    });
    clients.push(b2);
    await vi.waitFor(() => expect(got).toEqual(['one', 'two', 'three']), {
      timeout: 2000,
      interval: 20,
    });
    expect(b2.smInboundH).toBeGreaterThanOrEqual(3);
  });
});
