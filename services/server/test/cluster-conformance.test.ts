/**
 * The local cluster on PostgreSQL (2 gateways, 2 session-registry workers,
 * 1 MUC worker, as `pnpm cluster:start --store postgres` runs it) behind a
 * round-robin TCP balancer, driven by a standard client: Debian's
 * python3-slixmpp, with its own plugins for carbons (xep_0280), stream
 * management (xep_0198), blocking (xep_0191), CSI (xep_0352) and chat states
 * (xep_0085). Every client connects only through the balancer's one port;
 * consecutive connections alternate gateways, and each test checks, from
 * the balancer's record of client ports, that the clients it needs apart
 * really landed on different gateways.
 */
import { RoundRobinRelay } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';
import type { ScenarioRun } from './slixmpp-runner.js';

const USERS = [
  ...['alice', 'bob', 'carol'].map((u) => `o-${u}`),
  ...['alice', 'bob', 'carol'].map((u) => `p-${u}`),
  ...['dora', 'ed'].map((u) => `c-${u}`),
  ...['ann', 'ben'].map((u) => `s-${u}`),
  ...['ann', 'ben'].map((u) => `q-${u}`),
  ...['alice', 'bob'].map((u) => `k-${u}`),
  ...['alice', 'bob'].map((u) => `x-${u}`),
  ...['ann', 'ben'].map((u) => `r-${u}`),
];

describe('cluster conformance: PostgreSQL store, round-robin balancer, slixmpp', () => {
  let t: TestCluster;
  let relay: RoundRobinRelay;

  beforeAll(async () => {
    requirePython();
    t = await startTestCluster(USERS, {
      store: 'postgres',
      gateways: 2,
      registries: 2,
      mucs: 1,
      // CONFORMANCE_LOG_DIR=<dir>: each process's log (info) in <dir>/<name>.log.
      ...(process.env['CONFORMANCE_LOG_DIR'] !== undefined && {
        logDir: process.env['CONFORMANCE_LOG_DIR'],
        logLevel: 'info' as const,
      }),
    });
    relay = await RoundRobinRelay.start(t.cluster.gateways.map((g) => g.c2sPort!));
  }, 120_000);

  afterAll(async () => {
    await relay?.close();
    await t?.stop();
  }, 60_000);

  /** Runs a scenario against the balancer; fails with its error and log when it did not finish. */
  async function scenario(script: string, ...args: (string | number)[]): Promise<ScenarioRun> {
    const run = await runScenario(script, [relay.port, ...args]);
    const { error, trace } = run.result as { error?: string; trace?: string };
    expect(error, `${trace ?? ''}\n${run.err.slice(-3000)}`).toBeUndefined();
    expect(run.code).toBe(0);
    return run;
  }

  /** The gateway (index into the cluster's gateways) of a client's `n`th connection. */
  function gatewayOf(run: ScenarioRun, client: string, n = 0): number | undefined {
    const ports = (run.result['ports'] as Record<string, number[]>)[client] ?? [];
    const port = ports[n];
    return port === undefined ? undefined : relay.targetOf(port);
  }

  it('one-to-one: bare and full JID, ids, unknown user, a burst of 50 in order, offline delivery at the next login', async () => {
    const run = await scenario('slixmpp_cluster_chat.py');
    const r = run.result;
    const [alice, bob, carol1, carol2] = ['alice', 'bob', 'carol1', 'carol2'].map((c) =>
      gatewayOf(run, c),
    );
    expect(alice).toBeDefined();
    expect(bob).not.toBe(alice);
    expect(carol2).not.toBe(carol1);
    expect(carol2).not.toBe(alice);

    expect(r['bare']).toEqual({
      from: 'o-alice@localhost/desk',
      to: 'o-bob@localhost',
      id: 'rt-1',
      type: 'chat',
    });
    expect(r['full']).toEqual({
      from: 'o-bob@localhost/phone',
      to: 'o-alice@localhost/desk',
      id: 'rt-2',
    });
    expect(r['gone_resource']).toBe('o-bob@localhost/gone');
    expect(r['client_iq']).toBe('result');
    // RFC 6121 8.5.1: a message to an account that does not exist gets service-unavailable.
    expect(r['unknown']).toEqual({
      from: 'nobody@localhost',
      id: 'unknown-1',
      condition: 'service-unavailable',
    });
    expect(r['burst']).toEqual(Array.from({ length: 50 }, (_, i) => `burst-${i}`));
    expect(r['offline']).toEqual({ from: 'o-alice@localhost/desk', id: 'off-1', delay: true });
  }, 60_000);
  it('presence: subscription both ways, directed presence, priority routing, unavailable on logout, broadcast and probes', async () => {
    const run = await scenario('slixmpp_cluster_presence.py');
    const r = run.result;
    const [alice1, bob1, carol, alice2, bob2] = ['alice1', 'bob1', 'carol', 'alice2', 'bob2'].map(
      (c) => gatewayOf(run, c),
    );
    expect(alice1).toBeDefined();
    expect(bob1).not.toBe(alice1); // the handshake and bob's logout cross gateways
    expect(carol).not.toBe(bob1); // directed presence crosses
    expect(alice2).not.toBe(alice1); // two resources, one on each gateway
    expect(bob2).not.toBe(alice2); // initial presence and a probe result cross

    expect(r['handshake']).toEqual({ roster_a: 'both', roster_b: 'both' });
    expect(r['directed']).toEqual({ from: 'p-carol@localhost/x', status: 'hi bob' });
    expect(r['alice2_seen_with_priority']).toBe(5);
    expect(r['prio1']).toEqual({ to_two: 'p-alice@localhost', one_got_it: false });
    expect(r['prio2_to_two']).toBe(false);
    expect(r['carol_unavailable']).toBe('p-carol@localhost/x');
    expect(r['bob_unavailable_seen']).toBe(true);
    expect(r['probe']).toEqual({ one: 1, two: -1 });
    expect(r['roster_after']).toBe('both');
  }, 60_000);
  it('carbons (XEP-0280): received and sent copies at a resource on the other gateway, none for private or no-copy', async () => {
    const run = await scenario('slixmpp_cluster_carbons.py');
    const r = run.result;
    const [dora1, dora2, ed] = ['dora1', 'dora2', 'ed'].map((c) => gatewayOf(run, c));
    expect(dora1).toBeDefined();
    expect(dora2).not.toBe(dora1);
    expect(ed).not.toBe(dora2);

    expect(r['received']).toEqual({
      from: 'c-ed@localhost/e',
      to: 'c-dora@localhost/one',
      wrapper: 'c-dora@localhost',
    });
    expect(r['sent']).toEqual({ from: 'c-dora@localhost/one', to: 'c-ed@localhost' });
    expect(r['copied_before_marker']).toEqual(['marker']);
    expect(r['copies_at_one']).toEqual([]);
    expect(r['dora2_direct']).toEqual(['to both']);
    expect(r['dora1_direct']).toEqual(['to both', 'private in', 'no-copy in', 'marker']);
  }, 60_000);
  /** XEP-0198 resumption through the balancer; `prefix` names the accounts (ann and ben). */
  async function checkResumption(prefix: string): Promise<void> {
    const run = await scenario('slixmpp_cluster_resume.py', prefix);
    const r = run.result;
    const [ben, ann, resumed, resumedAgain, tablet] = [
      gatewayOf(run, 'ben'),
      gatewayOf(run, 'ann', 0),
      gatewayOf(run, 'ann', 1),
      gatewayOf(run, 'ann', 2),
      gatewayOf(run, 'tablet'),
    ];
    expect(ann).toBeDefined();
    expect(ben).not.toBe(ann);
    expect(resumed).toBeDefined();
    expect(resumed).not.toBe(ann); // resumed on the other gateway
    expect(resumedAgain).toBe(ann); // and back again
    expect(tablet).toBeDefined();

    expect(r['enabled']).toEqual({ resume: 'true', id: true });
    expect(r['resumed']).toEqual({
      previd_matches: true,
      client_h_counts_the_messages: true,
      server_h_is_what_ann_sent: true,
      session_start_again: false,
    });
    const expected = [
      ...Array.from({ length: 5 }, (_, i) => `before-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `detached-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after-${i}`),
    ];
    expect(r['received']).toEqual(expected);
    expect(r['from_resumed']).toBe(`${prefix}-ann@localhost/phone`);
    // The second drop comes before any ack round trip: the server's h still counts everything.
    expect(r['second']).toEqual({
      server_h_counts_every_message: true,
      ben_got: ['out-0', 'out-1', 'out-2', 'out-3', 'out-4', 'marker'],
    });
    expect(r['failed']).toEqual({
      condition: ['item-not-found'],
      bound: `${prefix}-ann@localhost/tablet`,
    });
    expect(r['tablet_ok']).toBe(true);
    expect(r['ben_saw_ann_go']).toEqual([]);
    expect(r['carbon_after_resume']).toBe(`${prefix}-ann@localhost`);
  }

  it('stream resumption (XEP-0198): a reset connection resumes on the other gateway, nothing lost or doubled; a bogus id fails with item-not-found', async () => {
    await checkResumption('s');
  }, 60_000);

  it('stream resumption (XEP-0198) after a silent loss: the old gateway never heard the connection die', async () => {
    // The balancer keeps the server side of the lost connection open: the first gateway
    // goes on writing into it, and the resumption on the other gateway takes the session over.
    relay.silentClientLoss = true;
    try {
      await checkResumption('q');
    } finally {
      relay.silentClientLoss = false;
    }
    // The takeover closes the old connection.
    await vi.waitFor(() => expect(relay.silent).toBe(0), { timeout: 10_000 });
  }, 60_000);

  it('blocking (XEP-0191): block across gateways, errors both ways, no presence while blocked, pushes to the other resource, unblock', async () => {
    const run = await scenario('slixmpp_cluster_blocking.py');
    const r = run.result;
    const [alice1, alice2, bob] = ['alice1', 'alice2', 'bob'].map((c) => gatewayOf(run, c));
    expect(alice1).toBeDefined();
    expect(alice2).not.toBe(alice1); // the pushes cross gateways
    expect(bob).not.toBe(alice2); // bob and alice/two are on different gateways

    expect(r['initial']).toEqual([[], []]);
    expect(r['block_push']).toEqual([['k-bob@localhost'], ['k-bob@localhost']]);
    expect(r['blocklist']).toEqual(['k-bob@localhost']);
    expect(r['inbound_error']).toEqual({ id: 'in-1', condition: 'service-unavailable' });
    expect(r['alice_got_from_bob']).toEqual([]);
    expect(r['outbound_error']).toEqual({
      id: 'out-1',
      condition: 'not-acceptable',
      blocked: true,
    });
    // Unavailable when blocked, then exactly once the current presence when unblocked.
    expect(r['bob_saw_from_alice1']).toEqual([
      ['unavailable', ''],
      ['available', 'while blocked'],
    ]);
    expect(r['unblock_push']).toEqual([['k-bob@localhost'], ['k-bob@localhost']]);
    expect(r['blocklist_after']).toEqual([]);
    expect(r['delivered_after_unblock']).toBe(true);
  }, 60_000);
  it('CSI (XEP-0352): an inactive client is spared presence and chat-state floods, gets a chat message at once and the latest presence when active', async () => {
    const run = await scenario(
      'slixmpp_cluster_csi.py',
      ...t.cluster.gateways.map((g) => g.httpPort),
    );
    const r = run.result;
    const [alice, bob] = ['alice', 'bob'].map((c) => gatewayOf(run, c));
    expect(alice).toBeDefined();
    expect(bob).not.toBe(alice);

    expect(r['csi_offered']).toBe(true);
    expect(r['held']).toBe(4);
    expect(r['written_while_inactive']).toEqual([]);
    expect(r['flushed_on_active']).toEqual([
      ['presence', 'available', 'p5'],
      ['chatstate', 'composing'],
      ['chatstate', 'paused'],
      ['chatstate', 'composing'],
    ]);
    expect(r['held_after_active']).toBe(0);
    expect(r['written_for_a_message']).toEqual([
      ['presence', 'available', 'p8'],
      ['message', 'urgent'],
    ]);
    expect(r['held_after_message']).toBe(0);
    expect(r['bob_saw_own']).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
  }, 60_000);
  // Messages the registry routed to the old connection after the new gateway claimed the
  // session come back from the old gateway late; the registry's resumption fence holds newer
  // deliveries back until they did (docs/architecture.md, Stream management), so RFC 6120
  // 10.1 in-order processing holds for messages in flight during a resumption.
  it('stream resumption (XEP-0198): messages in flight during the resumption keep their order', async () => {
    for (const silent of [false, true]) {
      relay.silentClientLoss = silent;
      try {
        const run = await scenario('slixmpp_cluster_resume_race.py');
        const rounds = run.result['rounds'] as string[][];
        rounds.forEach((got, k) =>
          expect(got).toEqual(Array.from({ length: 60 }, (_, i) => `r${k}-${i}`)),
        );
      } finally {
        relay.silentClientLoss = false;
      }
    }
  }, 120_000);
});
