/**
 * Pieces of the registry's bus-level unit tests (src/**\/*.test.ts), which
 * run one registry over the in-process bus with memory stores and play the
 * gateways with the bus messages a gateway sends. The fuller harness of the
 * RFC scenarios (harness.ts) uses the same accounts.
 */
import { expect } from 'vitest';
import type { MemoryBus } from '@parley/bus';
import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { gatewaySubject, routeSubject } from '@parley/routing';
import type { BindReply, Envelope, GatewayMessage, RegistryMessage } from '@parley/routing';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { startSessionRegistry } from '../src/index.js';
import type { RegistryOptions, SessionRegistry } from '../src/index.js';

/** A SCRAM record no password matches: these tests never authenticate. */
const CREDENTIAL = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a2V5', serverKey: 'a2V5' };

/** Creates the account `jid`. */
export async function createTestAccount(stores: Stores, jid: string): Promise<void> {
  await stores.accounts.create({
    jid,
    createdAt: 0,
    credentials: { 'SCRAM-SHA-1': CREDENTIAL, 'SCRAM-SHA-256': CREDENTIAL },
  });
}

/** The default configuration serving `domain` on `partitions` partitions. */
export function registryTestConfig(partitions: number, domain = 'localhost'): Config {
  const config = defaultConfig();
  config.server.domains = [domain];
  config.routing.partitions = partitions;
  return config;
}

/** A chat message from bob@localhost/b to `to` as a gateway routes it in; its body is its id. */
export function chatFromBob(id: string, to: string): Envelope {
  return {
    stage: 'in',
    kind: 'message',
    type: 'chat',
    id,
    from: 'bob@localhost/b',
    to,
    xml: `<message xmlns="jabber:client" from="bob@localhost/b" to="${to}" id="${id}" type="chat"><body>${id}</body></message>`,
  };
}

/** What the registry sends to the subjects of the given gateways, in order. */
export class GatewayOutbox {
  readonly sent: Array<{ gw: string; m: GatewayMessage }> = [];

  constructor(bus: MemoryBus, gateways: readonly string[]) {
    for (const gw of gateways)
      bus.subscribe(
        gatewaySubject(gw),
        (msg) => void this.sent.push({ gw, m: msg.data as GatewayMessage }),
      );
  }

  /** Ids of the stanzas delivered to connection `conn` of gateway `gw`, in order. */
  delivered(gw: string, conn: string): Array<string | undefined> {
    return this.sent.flatMap(({ gw: g, m }) =>
      g === gw && m.t === 'deliver' && m.conn === conn ? [m.env.id] : [],
    );
  }
}

/**
 * Starts a registry worker owning every partition, with a logger that only
 * writes errors and metrics of its own unless `opts` give others; resolves
 * once it is ready.
 */
export async function startTestRegistry(
  opts: Omit<RegistryOptions, 'logger' | 'metrics'> &
    Partial<Pick<RegistryOptions, 'logger' | 'metrics'>>,
): Promise<SessionRegistry> {
  const registry = startSessionRegistry({
    logger: createLogger({ service: 'test', level: 'error' }),
    metrics: createMetrics({ collectDefault: false }),
    ...opts,
  });
  await registry.ready;
  return registry;
}

/**
 * Waits until the registry has nothing left to do: several rounds of a bus
 * flush and the registry's idle (what it handles may publish more), all on
 * microtasks of this process.
 */
export async function settleRegistry(bus: MemoryBus, registry: SessionRegistry): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await bus.flush();
    await registry.idle();
  }
}

/** Publishes `msg` on the partition of `bare`, as a gateway does (durable, not awaited). */
export function publishTo(
  bus: MemoryBus,
  config: Config,
  bare: string,
  msg: RegistryMessage,
): void {
  void bus.publishDurable(routeSubject(bare, config.routing.partitions), msg);
}

/** Binds `bare/resource` on connection `conn` of gateway `gw`, as a gateway does; fails the test when refused. */
export async function bindResource(
  bus: MemoryBus,
  config: Config,
  bind: { bare: string; resource: string; gw: string; conn: string },
): Promise<void> {
  const { bare, resource, gw, conn } = bind;
  const request: RegistryMessage = { t: 'bind', jid: bare, resource, gw, conn };
  const reply = (await bus.request(
    routeSubject(bare, config.routing.partitions),
    request,
  )) as BindReply;
  expect(reply.ok).toBe(true);
}
