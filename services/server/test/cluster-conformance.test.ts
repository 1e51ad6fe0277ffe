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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';
import type { ScenarioRun } from './slixmpp-runner.js';

const USERS = [
  ...['alice', 'bob', 'carol'].map((u) => `o-${u}`),
  ...['alice', 'bob', 'carol'].map((u) => `p-${u}`),
  ...['dora', 'ed'].map((u) => `c-${u}`),
  ...['ann', 'ben'].map((u) => `s-${u}`),
  ...['alice', 'bob'].map((u) => `k-${u}`),
  ...['alice', 'bob'].map((u) => `x-${u}`),
];

describe('cluster conformance: PostgreSQL store, round-robin balancer, slixmpp', () => {
  let t: TestCluster;
  let relay: RoundRobinRelay;

  beforeAll(async () => {
    requirePython();
    t = await startTestCluster(USERS, { store: 'postgres', gateways: 2, registries: 2, mucs: 1 });
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
    // RFC 6121 8.5.1 (no such account): service-unavailable; item-not-found is also seen in the wild.
    expect(r['unknown']).toMatchObject({ from: 'nobody@localhost', id: 'unknown-1' });
    expect(['service-unavailable', 'item-not-found']).toContain(
      (r['unknown'] as { condition: string }).condition,
    );
    expect(r['burst']).toEqual(Array.from({ length: 50 }, (_, i) => `burst-${i}`));
    expect(r['offline']).toEqual({ from: 'o-alice@localhost/desk', id: 'off-1', delay: true });
  }, 60_000);
});
