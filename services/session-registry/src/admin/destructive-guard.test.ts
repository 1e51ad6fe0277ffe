/**
 * Destructive bus messages are checked against the authoritative state:
 * a forged `account-removed` for an account that still exists wipes
 * nothing, a forged `gateway-down` for a live gateway ends no session;
 * both are logged and counted (parley_bus_destructive_refused_total).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import type { Config } from '@parley/config';
import type { GatewayMessage, RegistryMessage } from '@parley/routing';
import { gatewaySubject, routeSubject } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import type { SessionRegistry } from '../registry.js';
import {
  bindResource,
  createTestAccount,
  publishTo,
  registryTestConfig,
  settleRegistry,
  startTestRegistry,
} from '../../test/bus-fixture.js';

const D = 'example.org';
const ALICE = `alice@${D}`;
const BOB = `bob@${D}`;

let bus: MemoryBus;
let stores: Stores;
let registry: SessionRegistry;
let metrics: Metrics;
let config: Config;
let logs: string[];
let live: string[];
let kicks: GatewayMessage[];

beforeEach(async () => {
  config = registryTestConfig(4, D);
  bus = new MemoryBus();
  stores = openMemoryStores();
  metrics = createMetrics({ collectDefault: false });
  logs = [];
  live = ['gw1'];
  kicks = [];
  bus.subscribe(gatewaySubject('gw1'), (msg) => {
    const m = msg.data as GatewayMessage;
    if (m.t === 'kick') kicks.push(m);
  });
  registry = await startTestRegistry({
    config,
    bus,
    stores,
    logger: createLogger({ service: 'test', level: 'warn', sink: (line) => logs.push(line) }),
    metrics,
    gatewayLiveness: { live: async () => live },
  });
  for (const jid of [ALICE, BOB]) await createTestAccount(stores, jid);
  await stores.rosters.setItem(ALICE, { jid: BOB, subscription: 'both', groups: [], listed: true });
  await stores.rosters.setItem(BOB, { jid: ALICE, subscription: 'both', groups: [], listed: true });
  await stores.offline.push(ALICE, `<message from='${BOB}' to='${ALICE}'/>`, 1, 100);
  await stores.archive.append(ALICE, { id: 'a1', ts: 1, with: BOB, xml: '<message/>' });
});

afterEach(async () => {
  await registry.close();
  await stores.close();
});

const settle = () => settleRegistry(bus, registry);
const publish = (bare: string, msg: RegistryMessage) => publishTo(bus, config, bare, msg);
const bind = (bare: string, resource: string, gw: string, conn: string) =>
  bindResource(bus, config, { bare, resource, gw, conn });

function refusedCount(type: string, reason: string): Promise<number> {
  return metrics.value('parley_bus_destructive_refused_total', { type, reason });
}

async function aliceData() {
  return {
    roster: (await stores.rosters.get(ALICE)).items.map((i) => i.jid),
    bobsRoster: (await stores.rosters.get(BOB)).items.map((i) => `${i.jid} ${i.subscription}`),
    offline: await stores.offline.count(ALICE),
    archive: (await stores.archive.query(ALICE, { limit: 10 })).items.length,
  };
}

describe('account-removed', () => {
  it('wipes nothing while the account store still has the account; logged and counted', async () => {
    await bind(ALICE, 'phone', 'gw1', 'c1');
    publish(ALICE, { t: 'account-removed', jid: ALICE });
    await settle();
    expect(await aliceData()).toEqual({
      roster: [BOB],
      bobsRoster: [`${ALICE} both`],
      offline: 1,
      archive: 1,
    });
    expect(kicks).toEqual([]);
    expect(registry.sessionCount()).toBe(1);
    expect(await refusedCount('account-removed', 'account-exists')).toBe(1);
    expect(
      logs.some((l) => l.includes('destructive bus message refused') && l.includes(ALICE)),
    ).toBe(true);
  });

  it('wipes the data once the account is gone from the account store', async () => {
    await bind(ALICE, 'phone', 'gw1', 'c1');
    await stores.accounts.delete(ALICE);
    publish(ALICE, { t: 'account-removed', jid: ALICE });
    await settle();
    expect(await aliceData()).toEqual({
      roster: [],
      bobsRoster: [`${ALICE} none`],
      offline: 0,
      archive: 0,
    });
    expect(kicks).toEqual([expect.objectContaining({ t: 'kick', conn: 'c1' })]);
    expect(await refusedCount('account-removed', 'account-exists')).toBe(0);
  });
});

describe('gateway-down', () => {
  const partition = () => {
    // The partition of alice's route subject: its last token before the JID.
    const subject = routeSubject(ALICE, config.routing.partitions);
    return Number(subject.split('.')[2]);
  };

  it('ends no session of a gateway that is still heartbeating; logged and counted', async () => {
    await bind(ALICE, 'phone', 'gw1', 'c1');
    publish(ALICE, { t: 'gateway-down', gw: 'gw1', partition: partition() });
    await settle();
    expect(registry.sessionCount()).toBe(1);
    expect(await refusedCount('gateway-down', 'gateway-alive')).toBe(1);
  });

  it('ends the sessions of a gateway that stopped heartbeating', async () => {
    await bind(ALICE, 'phone', 'gw1', 'c1');
    live = [];
    publish(ALICE, { t: 'gateway-down', gw: 'gw1', partition: partition() });
    await settle();
    expect(registry.sessionCount()).toBe(0);
    expect(await refusedCount('gateway-down', 'gateway-alive')).toBe(0);
  });
});
