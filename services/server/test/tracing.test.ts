/**
 * One OpenTelemetry trace follows a stanza from the gateway that received it,
 * over NATS JetStream through the session registry, to the gateway that
 * delivers it. Gateway and registry run on separate NATS connections (as
 * separate processes would); their spans go to one in-memory exporter.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus } from '@parley/bus';
import type { NatsBus } from '@parley/bus';
import { loadConfig } from '@parley/config';
import { startGateway } from '@parley/gateway';
import type { Gateway } from '@parley/gateway';
import { DURABLE_SUBJECTS, orderingScopeOf } from '@parley/routing';
import { startSessionRegistry } from '@parley/session-registry';
import type { SessionRegistry } from '@parley/session-registry';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics, installTracing } from '@parley/telemetry';
import type { Tracing } from '@parley/telemetry';
import { startNatsServer } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { newAccount } from '../src/users.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

describe('OpenTelemetry: one trace from the receiving gateway to delivery', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let nats: NatsServer;
  let stores: Stores;
  let dataDir: string;
  const buses: NatsBus[] = [];
  let registry: SessionRegistry;
  let gateway: Gateway;
  const clients: XmppClient[] = [];

  beforeAll(async () => {
    tracing = installTracing({ serviceName: 'parley-test', exporter });
    nats = await startNatsServer({ jetstream: true });
    dataDir = await mkdtemp(join(tmpdir(), 'parley-tracing-'));
    const config = loadConfig({
      env: {},
      overrides: {
        server: { domains: ['localhost'], dataDir, nodeId: 'trace' },
        c2s: { port: 0, directTlsPort: 0, host: '127.0.0.1' },
        http: { port: 0 },
        sasl: { scramIterations: 4096 },
        routing: { partitions: 4 },
        log: { level: 'warn' },
      },
    });
    const logger = createLogger({ service: 'test', level: 'warn' });
    const bus = async (name: string) => {
      const b = await connectNatsBus({
        servers: nats.url,
        name,
        logger,
        stream: { subjects: DURABLE_SUBJECTS },
        durableBatchKey: orderingScopeOf,
      });
      buses.push(b);
      return b;
    };
    stores = await openMemoryStores();
    for (const u of ['alice', 'bob'])
      await stores.accounts.create(await newAccount(`${u}@localhost`, 'secret', 4096));
    registry = startSessionRegistry({
      config,
      bus: await bus('registry'),
      stores,
      logger,
      metrics: createMetrics({ collectDefault: false }),
    });
    await registry.ready;
    gateway = await startGateway({
      config,
      bus: await bus('gateway'),
      accounts: stores.accounts,
      logger,
      metrics: createMetrics({ collectDefault: false }),
      gatewayId: 'trace-gw',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await gateway?.close('system-shutdown');
    await registry?.close();
    for (const b of buses) await b.close();
    await stores?.close();
    await nats?.stop();
    await tracing?.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('links receive, outbound routing, inbound routing and delivery in one trace', async () => {
    const port = gateway.ports.c2s;
    const alice = await connect({ port, username: 'alice', resource: 'a' });
    const bob = await connect({ port, username: 'bob', resource: 'b' });
    clients.push(alice, bob);
    const got = waitFor(bob, (s) => s.is('message') && s.getChildText('body') === 'traced');
    await alice.send(
      xml('message', { to: 'bob@localhost/b', type: 'chat' }, xml('body', {}, 'traced')),
    );
    await got;

    const spans = exporter.getFinishedSpans();
    const receive = spans.find((s) => s.name === 'xmpp.c2s.receive message');
    expect(receive, spans.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = receive!.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'xmpp.c2s.receive message',
        'xmpp.route.out message',
        'xmpp.route.in message',
        'xmpp.c2s.deliver message',
      ]),
    );
    const byName = new Map(inTrace.map((s) => [s.name, s]));
    const parentOf = (name: string) => byName.get(name)!.parentSpanContext?.spanId;
    expect(parentOf('xmpp.route.out message')).toBe(receive!.spanContext().spanId);
    expect(parentOf('xmpp.route.in message')).toBe(
      byName.get('xmpp.route.out message')!.spanContext().spanId,
    );
    expect(parentOf('xmpp.c2s.deliver message')).toBe(
      byName.get('xmpp.route.in message')!.spanContext().spanId,
    );
  }, 30_000);
});
