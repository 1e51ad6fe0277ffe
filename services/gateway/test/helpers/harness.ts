/**
 * Starts a gateway on ephemeral ports with an in-memory bus and stores, a
 * fake registry and a captured log, plus helpers to create accounts and
 * connect authenticated clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@parley/bus';
import type { Bus } from '@parley/bus';
import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { deriveCredentials } from '@parley/sasl';
import { openMemoryStores } from '@parley/store';
import type { ResumptionStore, Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import { startGateway } from '../../src/index.js';
import type { Gateway, GatewayDeps } from '../../src/index.js';
import { gatewaySubject } from '@parley/routing';
import type { GatewayMessage } from '@parley/routing';
import { FakeRegistry } from './fake-registry.js';
import type { Recorded } from './fake-registry.js';
import { TestClient, boundJid } from './test-client.js';
import type { ConnectOptions } from './test-client.js';

/** One data directory per test process, so the self-signed certificate is generated once. */
let sharedDataDir: string | undefined;
export function testDataDir(): string {
  if (sharedDataDir === undefined) {
    sharedDataDir = mkdtempSync(join(tmpdir(), 'parley-gateway-'));
    process.once('exit', () => rmSync(sharedDataDir!, { recursive: true, force: true }));
  }
  return sharedDataDir;
}

/** How long the gateway tests wait for an event (vi.waitFor), and how often they look. */
export const WAIT = { timeout: 5_000, interval: 10 };

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** STARTTLS, SCRAM and the restarted stream: authenticated, no resource bound. */
export async function authenticate(
  h: Pick<Harness, 'connect'>,
  local: string,
  password: string,
): Promise<TestClient> {
  const client = await h.connect();
  await client.open();
  await client.starttls();
  await client.open();
  const outcome = await client.scram(local, password);
  if (outcome.localName !== 'success') throw new Error(`login failed: ${outcome.toString()}`);
  await client.open();
  return client;
}

export interface HarnessOptions {
  configure?: (config: Config) => void;
  directTls?: boolean;
  gatewayId?: string;
  /**
   * Another harness to share the bus, stores and fake registry with (a second
   * gateway of the same cluster); they stay open when this harness closes.
   */
  cluster?: Harness;
  /** Resumption store for the gateway (default: the gateway's own). */
  resumption?: ResumptionStore;
  /** Wraps the bus the gateway sees (e.g. to cut it off, as if the process died). */
  wrapBus?: (bus: MemoryBus) => Bus;
  /** More dependencies of the gateway (e.g. unconfiguredFakeSaltSecret). */
  gatewayDeps?: Pick<
    GatewayDeps,
    'unconfiguredFakeSaltSecret' | 'streamModules' | 'fastTokens' | 'loginLimits' | 'invitations'
  >;
}

export interface Harness {
  gateway: Gateway;
  bus: MemoryBus;
  stores: Stores;
  registry: FakeRegistry;
  config: Config;
  metrics: Metrics;
  logs: string[];
  port: number;
  connect(opts?: ConnectOptions): Promise<TestClient>;
  createAccount(local: string, password: string, opts?: { banned?: boolean }): Promise<void>;
  /** STARTTLS, SCRAM-SHA-256, bind: a client ready to exchange stanzas. */
  login(
    local: string,
    password: string,
    resource?: string,
  ): Promise<{ client: TestClient; jid: string }>;
  /**
   * Resolves with the first log record (parsed) with message `msg` whose fields include
   * `fields`, already written or written later (woken by each record: no polling, so fake
   * timers do not move it).
   */
  logged(
    msg: string,
    fields?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves once the gateway dealt with the closed socket of connection `conn` (its log record). */
  connectionClosed(conn: string): Promise<void>;
  /**
   * A positive marker for "nothing else was published": after one turn of
   * the event loop (every reaction already under way has published by then),
   * a delivery to a connection the gateway never had, which it bounces at
   * once. Resolves with what the fake registry recorded before that bounce.
   */
  publishedBeforeMarker(): Promise<Recorded[]>;
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const config = defaultConfig();
  config.server.domains = ['localhost', 'example.test'];
  config.server.dataDir = testDataDir();
  config.c2s.port = 0;
  config.c2s.host = '127.0.0.1';
  config.c2s.directTlsPort = opts.directTls ? await freePort() : 0;
  config.c2s.authFailureDelayMs = 10;
  config.c2s.authFailureMaxDelayMs = 40;
  config.c2s.maxUnauthenticatedPerAddress = 0;
  config.c2s.maxSessionsPerAddress = 0;
  config.routing.partitions = 4;
  config.sasl.scramIterations = 4096;
  opts.configure?.(config);

  const shared = opts.cluster;
  const bus = shared?.bus ?? new MemoryBus();
  const stores = shared?.stores ?? openMemoryStores();
  const registry = shared?.registry ?? new FakeRegistry(bus);
  const logs: string[] = [];
  const logWaiters = new Set<() => boolean>();
  const logger = createLogger({
    service: 'gateway',
    level: 'debug',
    sink: (line) => {
      logs.push(line);
      for (const w of [...logWaiters]) w();
    },
  });
  const metrics = createMetrics({ collectDefault: false });
  const gateway = await startGateway({
    config,
    bus: opts.wrapBus?.(bus) ?? bus,
    accounts: stores.accounts,
    logger,
    metrics,
    gatewayId: opts.gatewayId ?? 'gw1',
    ...(opts.resumption !== undefined && { resumption: opts.resumption }),
    ...opts.gatewayDeps,
  });
  const port = gateway.ports.c2s;
  const clients: TestClient[] = [];
  let markers = 0;

  const harness: Harness = {
    gateway,
    bus,
    stores,
    registry,
    config,
    metrics,
    logs,
    port,
    async connect(connectOpts) {
      const p = connectOpts?.tls ? gateway.ports.directTls! : port;
      const client = await TestClient.connect(p, connectOpts);
      clients.push(client);
      return client;
    },
    async createAccount(local, password, accountOpts) {
      const credentials = await deriveCredentials(password, { iterations: 4096 });
      await stores.accounts.create({
        jid: `${local}@localhost`,
        credentials,
        createdAt: Date.now(),
        ...(accountOpts?.banned && { banned: true }),
      });
    },
    async login(local, password, resource) {
      const client = await authenticate(harness, local, password);
      const reply = await client.bind(resource);
      const jid = boundJid(reply);
      if (jid === undefined) throw new Error(`bind failed: ${reply.toString()}`);
      return { client, jid };
    },
    logged(msg, fields = {}, timeoutMs = WAIT.timeout) {
      const find = () =>
        logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((r) => r['msg'] === msg && Object.entries(fields).every(([k, v]) => r[k] === v));
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const r = find();
          if (r === undefined) return false;
          clearTimeout(timer);
          logWaiters.delete(check);
          resolve(r);
          return true;
        };
        const timer = setTimeout(() => {
          logWaiters.delete(check);
          reject(new Error(`no log record '${msg}' ${JSON.stringify(fields)} in ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) logWaiters.add(check);
      });
    },
    async connectionClosed(conn) {
      await harness.logged('client connection closed', { conn });
    },
    async publishedBeforeMarker() {
      await bus.flush();
      const id = `marker-${++markers}`;
      const to = 'marker@localhost/m';
      const xml = `<message xmlns="jabber:client" to="${to}" id="${id}"/>`;
      const env = { stage: 'in', kind: 'message', type: '', id, from: to, to, xml } as const;
      const msg: GatewayMessage = { t: 'deliver', conn: `never-${id}`, env };
      bus.publish(gatewaySubject(gateway.gatewayId), msg);
      await registry.waitFor('bounce', (b) => b.env.id === id);
      const at = registry.received.findIndex((r) => r.msg.t === 'bounce' && r.msg.env.id === id);
      return registry.received.slice(0, at);
    },
    async close() {
      for (const c of clients) c.close();
      await gateway.close();
      if (shared !== undefined) return;
      registry.close();
      await bus.close();
      await stores.close();
    },
  };
  return harness;
}
