/**
 * The registry side of the versioned bus protocol (@parley/routing
 * protocol.ts): messages of the previous version (no `v`) are handled,
 * what the registry does not understand is counted and logged, and a
 * request it does not understand is answered at once with an error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { BUS_PROTOCOL_VERSION, routeSubject } from '@parley/routing';
import type { BindReply, GatewayMessage, RegistryMessage } from '@parley/routing';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import type { SessionRegistry } from './registry.js';
import {
  chatFromBob,
  createTestAccount,
  registryTestConfig,
  startTestRegistry,
} from '../test/bus-fixture.js';

const P = 4;
const ALICE = 'alice@localhost';

describe('versioned messages on the registry partitions', () => {
  let bus: MemoryBus;
  let stores: Stores;
  let metrics: Metrics;
  let registry: SessionRegistry;
  const logs: string[] = [];
  const gateway: Array<GatewayMessage & { v?: number }> = [];
  const config = registryTestConfig(P);

  const rejected = (reason: string, type: string) =>
    metrics.value('parley_bus_messages_rejected_total', { family: 'registry', reason, type });
  const chat = (id: string) => chatFromBob(id, `${ALICE}/one`);
  const deliveredIds = () =>
    gateway.filter((m) => m.t === 'deliver').map((m) => (m.t === 'deliver' ? m.env.id : ''));

  beforeEach(async () => {
    bus = new MemoryBus();
    stores = openMemoryStores();
    metrics = createMetrics({ collectDefault: false });
    gateway.length = 0;
    logs.length = 0;
    bus.subscribe('xmpp.gw.gw1', (msg) => void gateway.push(msg.data as GatewayMessage));
    registry = await startTestRegistry({
      config,
      bus,
      stores,
      logger: createLogger({ service: 'test', level: 'warn', sink: (l) => void logs.push(l) }),
      metrics,
    });
    await createTestAccount(stores, ALICE);
    // A bind of the previous release: no `v`.
    const reply = (await bus.request(
      routeSubject(ALICE, P),
      { t: 'bind', jid: ALICE, resource: 'one', gw: 'gw1', conn: 'c1' } satisfies RegistryMessage,
      { durable: true },
    )) as BindReply & { v?: number };
    expect(reply).toEqual({ v: BUS_PROTOCOL_VERSION, ok: true, jid: `${ALICE}/one` });
  });
  afterEach(async () => {
    await registry.close();
    await bus.close();
    await stores.close();
  });

  it('handles a stanza of the previous version and sends the delivery with the current one', async () => {
    await bus.publishDurable(routeSubject(ALICE, P), { t: 'stanza', env: chat('old') });
    await registry.idle();
    await bus.flush();
    expect(gateway).toEqual([
      expect.objectContaining({ v: BUS_PROTOCOL_VERSION, t: 'deliver', conn: 'c1' }),
    ]);
    expect(deliveredIds()).toEqual(['old']);
  });

  it('counts and logs a message of an unknown type, and handles the next one', async () => {
    const before = await rejected('unknown-type', 'teleport');
    await bus.publishDurable(routeSubject(ALICE, P), {
      v: BUS_PROTOCOL_VERSION,
      t: 'teleport',
      env: chat('never'),
    });
    await bus.publishDurable(routeSubject(ALICE, P), {
      v: BUS_PROTOCOL_VERSION,
      t: 'stanza',
      env: chat('marker'),
    });
    await registry.idle();
    await bus.flush();
    expect(deliveredIds()).toEqual(['marker']);
    expect(await rejected('unknown-type', 'teleport')).toBe(before + 1);
    expect(
      logs.some((l) => l.includes('bus message not understood') && l.includes('teleport')),
    ).toBe(true);
  });

  it('counts a stanza of an unsupported future version instead of acting on it', async () => {
    const before = await rejected('unsupported-version', 'stanza');
    await bus.publishDurable(routeSubject(ALICE, P), { v: 99, t: 'stanza', env: chat('future') });
    await bus.publishDurable(routeSubject(ALICE, P), { t: 'stanza', env: chat('marker') });
    await registry.idle();
    await bus.flush();
    expect(deliveredIds()).toEqual(['marker']);
    expect(await rejected('unsupported-version', 'stanza')).toBe(before + 1);
    const line = logs.find((l) => l.includes('unsupported-version'));
    expect(line).toContain(routeSubject(ALICE, P));
    expect(line).toContain('99');
  });

  it('answers a request it does not understand at once, instead of letting it time out', async () => {
    const subject = routeSubject(ALICE, P);
    const future = (await bus.request(
      subject,
      { v: 99, t: 'bind', jid: ALICE, resource: 'two', gw: 'gw1', conn: 'c2' },
      { durable: true, timeoutMs: 60_000 },
    )) as BindReply;
    expect(future).toMatchObject({
      v: BUS_PROTOCOL_VERSION,
      ok: false,
      condition: 'feature-not-implemented',
    });
    const unknown = (await bus.request(
      subject,
      { v: BUS_PROTOCOL_VERSION, t: 'bind-v3', jid: ALICE },
      { durable: true, timeoutMs: 60_000 },
    )) as BindReply;
    expect(unknown).toMatchObject({ ok: false, condition: 'feature-not-implemented' });
    const invalid = (await bus.request(
      subject,
      { t: 'bind', jid: ALICE, gw: 'gw1' },
      { durable: true, timeoutMs: 60_000 },
    )) as BindReply;
    expect(invalid).toMatchObject({ ok: false, condition: 'bad-request' });
    expect(await rejected('unsupported-version', 'bind')).toBe(1);
    expect(await rejected('unknown-type', 'bind-v3')).toBe(1);
    expect(await rejected('invalid', 'bind')).toBe(1);
    expect(registry.sessionCount()).toBe(1);
  });
});
