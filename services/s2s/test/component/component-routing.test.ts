/**
 * Components on the bus, with the in-process bus and with a real NATS
 * server: delivery to a component on this node and on another node, nobody
 * holding the component, and where stanzas from a component are published.
 */
import { MemoryBus, connectNatsBus } from '@parley/bus';
import type { Bus, DurableMessage, OrderedConsumer } from '@parley/bus';
import { loadConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { DURABLE_SUBJECTS, orderingScopeOf, routeSubject, s2sSubject } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import { createLogger, createMetrics } from '@parley/telemetry';
import { hasBinary, startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startComponents } from '../../src/component/index.js';
import type { Components } from '../../src/component/index.js';
import { RawComponents, until } from './raw-component.js';

const BOT = 'bot.example.org';
const GW = 'gw.example.org';
const SECRET = 'bot-secret-1';

const haveNats = hasBinary('nats-server');
if (!haveNats) console.warn('nats-server not found: skipping the NATS component routing tests');

const logger = createLogger({ service: 'test', level: 'error' });

function config(): Config {
  return loadConfig({
    env: {},
    overrides: {
      server: { domains: ['example.org'], nodeId: 'comp-test' },
      routing: { partitions: 4 },
      s2s: { enabled: false, partitions: 2 },
      components: {
        port: 0,
        host: '127.0.0.1',
        list: [
          { domain: BOT, secret: SECRET },
          { domain: GW, secret: 'gateway-secret' },
        ],
      },
    },
  });
}

function envelope(to: string, body: string): Envelope {
  return {
    stage: 'in',
    kind: 'message',
    type: 'chat',
    from: 'alice@example.org/phone',
    to,
    id: body,
    xml: `<message xmlns="jabber:client" from="alice@example.org/phone" to="${to}" type="chat" id="${body}"><body>${body}</body></message>`,
  };
}

let nats: NatsServer | undefined;
let consumerSeq = 0;

describe.each(['memory', 'nats'] as const)('components on the bus (%s)', (kind) => {
  const skip = kind === 'nats' && !haveNats;
  const buses: Bus[] = [];
  const nodes: Components[] = [];
  const consumers: OrderedConsumer[] = [];
  const clients = new RawComponents();
  let shared: MemoryBus | undefined;
  const byName = new Map<string, Bus>();

  beforeAll(async () => {
    if (kind === 'nats' && !skip) nats = await startNatsServer({ jetstream: true });
  });
  afterAll(async () => {
    if (kind === 'nats') await nats?.stop();
  });
  afterEach(async () => {
    clients.destroyAll();
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
    shared = undefined;
    byName.clear();
  });

  /** A bus of its own per node with NATS; one shared MemoryBus in-process. */
  async function bus(name: string): Promise<Bus> {
    if (kind === 'memory') {
      if (shared === undefined) {
        shared = new MemoryBus();
        buses.push(shared);
      }
      return shared;
    }
    const known = byName.get(name);
    if (known !== undefined) return known;
    const b = await connectNatsBus({
      servers: nats!.url,
      name,
      logger,
      stream: { subjects: DURABLE_SUBJECTS },
      durableBatchKey: orderingScopeOf,
    });
    buses.push(b);
    byName.set(name, b);
    return b;
  }

  async function node(name: string, listen: boolean): Promise<Components> {
    const n = await startComponents({
      bus: await bus(name),
      config: config(),
      logger,
      metrics: createMetrics({ collectDefault: false }),
      ...(listen && { portOverride: 0 }),
    });
    nodes.push(n);
    return n;
  }

  const component = (port: number, domain = BOT, secret = SECRET) =>
    clients.connected(port, domain, secret);

  /** Collects the durable messages on `filter` (as a registry or S2S worker would). */
  async function watch(name: string, filter: string): Promise<DurableMessage[]> {
    const seen: DurableMessage[] = [];
    const c = await (
      await bus(name)
    ).consumeOrdered(filter, `comp-test-${++consumerSeq}`, async (m) => {
      seen.push(m);
    });
    consumers.push(c);
    return seen;
  }

  it.skipIf(skip)('has no port when components.port is 0 and there is no override', async () => {
    const n = await node('b', false);
    expect(n.port).toBeUndefined();
  });

  it.skipIf(skip)('deliver() writes to a component connected to this node', async () => {
    const a = await node('a', true);
    const c = await component(a.port!);
    expect(a.connectedHere(BOT)).toBe(true);
    expect(await a.deliver(envelope(`echo@${BOT}`, 'local'))).toBe('delivered');
    await c.waitFor((d) => d.includes('<body>local</body>'));
    expect(c.data).toContain(
      `<message xmlns="jabber:component:accept" from="alice@example.org/phone" to="echo@${BOT}"`,
    );
  });

  it.skipIf(skip)(
    'deliver() reaches a component connected to another node through the bus',
    async () => {
      const a = await node('a', true);
      const b = await node('b', false);
      const c = await component(a.port!);
      expect(b.connectedHere(BOT)).toBe(false);
      expect(await b.deliver(envelope(`echo@${BOT}/x`, 'remote'))).toBe('delivered');
      await c.waitFor((d) => d.includes('<body>remote</body>'));
    },
  );

  it.skipIf(skip)('deliver() answers not-connected when no node holds the component', async () => {
    const a = await node('a', true);
    const b = await node('b', false);
    expect(await b.deliver(envelope(`echo@${GW}`, 'nobody'))).toBe('not-connected');
    expect(await a.deliver(envelope(`echo@${GW}`, 'nobody'))).toBe('not-connected');
    // Connected, then gone: not-connected again.
    const c = await component(a.port!, GW, 'gateway-secret');
    expect(await b.deliver(envelope(`echo@${GW}`, 'there'))).toBe('delivered');
    await c.waitFor((d) => d.includes('<body>there</body>'));
    await c.close();
    await until(() => !a.connectedHere(GW), 5_000, 'the disconnect');
    // The unsubscription has reached the bus (NATS: a request routed to the
    // old holder before that would get no answer and time out instead).
    await (await bus('a')).flush();
    const t0 = Date.now();
    expect(await b.deliver(envelope(`echo@${GW}`, 'gone'))).toBe('not-connected');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it.skipIf(skip)(
    'publishes stanzas from a component to the partition of their recipient',
    async () => {
      const routed = await watch('registry', 'xmpp.r.>');
      const toS2s = await watch('s2s', 'xmpp.s2s.>');
      const a = await node('a', true);
      const c = await component(a.port!);
      c.send(
        `<message from='news@${BOT}' to='Bob@example.org/laptop' id='n1'><body>hi bob</body></message>`,
      );
      c.send(`<message from='news@${BOT}' to='relay@${GW}' id='n2'><body>hi gw</body></message>`);
      await until(() => routed.length === 1 && toS2s.length === 1, 10_000, 'both stanzas');
      const cfg = config();
      expect(routed[0]!.subject).toBe(routeSubject('bob@example.org', cfg.routing.partitions));
      expect(routed[0]!.data).toMatchObject({
        t: 'stanza',
        env: {
          stage: 'in',
          kind: 'message',
          from: `news@${BOT}`,
          to: 'bob@example.org/laptop',
          id: 'n1',
          xml: `<message xmlns="jabber:client" from="news@${BOT}" to="bob@example.org/laptop" id="n1"><body>hi bob</body></message>`,
        },
      });
      expect(toS2s[0]!.subject).toBe(s2sSubject(GW, cfg.s2s.partitions));
      expect(toS2s[0]!.data).toMatchObject({ t: 'stanza', env: { to: `relay@${GW}` } });
    },
  );

  it.skipIf(skip)(
    'answers a stanza for an unreachable domain with remote-server-not-found',
    async () => {
      const a = await node('a', true);
      const c = await component(a.port!);
      c.send(
        `<iq from='news@${BOT}' to='somewhere.example.net' id='q1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
      );
      await c.waitFor((d) => d.includes('remote-server-not-found'));
      expect(c.data).toContain(
        `<iq xmlns="jabber:component:accept" from="somewhere.example.net" to="news@${BOT}" id="q1" type="error"><error type="cancel"><remote-server-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`,
      );
      // An error is never answered with an error.
      const before = c.data.length;
      c.send(`<message from='news@${BOT}' to='x@somewhere.example.net' type='error'/>`);
      c.send(`<message from='news@${BOT}' to='y@somewhere.example.net' id='m2'/>`);
      await c.waitFor((d) => d.slice(before).includes('remote-server-not-found'));
      expect(c.data.slice(before)).not.toContain('x@somewhere');
    },
  );
});
