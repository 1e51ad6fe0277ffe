/** Two (or more) S2sEngine instances on loopback for the engine tests. */
import { readFile } from 'node:fs/promises';
import { defaultConfig } from '@parley/config';
import type { S2sConfig } from '@parley/config';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import { createFederationPki, freePort } from '@parley/testkit';
import type { FederationCert, FederationPki } from '@parley/testkit';
import type { Element } from '@parley/xml';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { S2sEngine } from '../../src/engine/index.js';
import type { S2sDeliveryError } from '../../src/engine/index.js';

export const A = 'a.parley-fed.net';
export const B = 'b.parley-fed.net';

export interface Pem {
  cert: string;
  key: string;
}

/** The certificates of the engine tests, as PEM text (from the test kit's federation PKI). */
export interface EnginePki {
  /** The test CA, and an unrelated one: a node trusting only `otherCa` verifies no certificate. */
  ca: string;
  otherCa: string;
  /** DNS-ID and XmppAddr of A (of B), signed by the test CA. */
  a: Pem;
  b: Pem;
  /** Names A and B, signed by the unrelated CA. */
  untrusted: Pem;
  /** Signed by the test CA, for c.parley-fed.net only. */
  wrongDomain: Pem;
}

export interface Received {
  el: Element;
  route: { from: string; to: string };
}

export interface TestNode {
  domain: string;
  engine: S2sEngine;
  port: number;
  directTlsPort?: number;
  received: Received[];
  metrics: Metrics;
  logs: string[];
}

export interface NodeOptions {
  domain: string;
  pem: Pem;
  trustStore?: string;
  secret?: string;
  port?: number;
  config?: Partial<S2sConfig>;
}

export function s2sConfig(overrides: Partial<S2sConfig> = {}): S2sConfig {
  return {
    ...defaultConfig().s2s,
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    connectTimeoutMs: 5_000,
    idleTimeoutMs: 0,
    retryAfterMs: 0,
    ...overrides,
  };
}

const started: TestNode[] = [];

async function pemOf(cert: FederationCert): Promise<Pem> {
  return { cert: await readFile(cert.certFile, 'utf8'), key: await readFile(cert.keyFile, 'utf8') };
}

/**
 * The hooks of an engine test file: the certificates are made before its
 * tests and removed after them, every node started is closed after each test.
 * The returned object is filled in before the first test.
 */
export function useEngineTests(): EnginePki {
  const pems = {} as EnginePki;
  let pki: FederationPki | undefined;
  beforeAll(async () => {
    pki = await createFederationPki({ domains: [A, B], unrelatedDomain: 'c.parley-fed.net' });
    Object.assign(pems, {
      ca: await readFile(pki.caFile, 'utf8'),
      otherCa: await readFile(pki.otherCaFile, 'utf8'),
      a: await pemOf(pki.cert(A)),
      b: await pemOf(pki.cert(B)),
      untrusted: await pemOf(pki.untrusted),
      wrongDomain: await pemOf(pki.wrongDomain),
    } satisfies EnginePki);
  });
  afterAll(async () => {
    await pki?.remove();
  });
  afterEach(async () => {
    await stopNodes();
  });
  return pems;
}

export async function startNode(opts: NodeOptions): Promise<TestNode> {
  const logs: string[] = [];
  const received: Received[] = [];
  const metrics = createMetrics({ collectDefault: false });
  const engine = new S2sEngine({
    config: s2sConfig({ port: opts.port ?? 0, ...opts.config }),
    isLocalDomain: (d) => d === opts.domain,
    tls: opts.pem,
    trustStore: opts.trustStore,
    dialbackSecret: opts.secret ?? `secret-of-${opts.domain}`,
    logger: createLogger({
      service: `s2s-${opts.domain}`,
      level: 'debug',
      sink: (line) => logs.push(line),
    }),
    metrics,
    onStanza: (el, route) => received.push({ el, route }),
  });
  const { port, directTlsPort } = await engine.listen();
  const node: TestNode = { domain: opts.domain, engine, port, received, metrics, logs };
  if (directTlsPort !== undefined) node.directTlsPort = directTlsPort;
  started.push(node);
  return node;
}

/** What a side of {@link startPair} changes: its certificate, dialback secret, more config. */
export type SideOptions = Partial<Pick<NodeOptions, 'pem' | 'secret' | 'config'>>;

export interface PairOptions {
  /** Both nodes' trust store (none by default). */
  trustStore?: string;
  a?: SideOptions;
  b?: SideOptions;
}

/**
 * Starts a node for A and one for B on ports known in advance, each with an
 * s2s override pointing at the other; certificates `pki.a` and `pki.b`
 * unless a side says otherwise.
 */
export async function startPair(
  pki: EnginePki,
  opts: PairOptions = {},
): Promise<{ a: TestNode; b: TestNode }> {
  const [pa, pb] = await twoPorts();
  const start = (domain: string, port: number, side: SideOptions, pem: Pem, route: string) =>
    startNode({
      domain,
      pem,
      trustStore: opts.trustStore,
      port,
      ...side,
      config: { overrides: [route], ...side.config },
    });
  const a = await start(A, pa, opts.a ?? {}, pki.a, `${B}=127.0.0.1:${pb}`);
  const b = await start(B, pb, opts.b ?? {}, pki.b, `${A}=127.0.0.1:${pa}`);
  return { a, b };
}

/** Closes every node started so far (afterEach). */
export async function stopNodes(): Promise<void> {
  const nodes = started.splice(0);
  await Promise.all(nodes.map((n) => n.engine.close()));
}

/** Two loopback ports, for nodes that must know each other's port before they start. */
export async function twoPorts(): Promise<[number, number]> {
  return [await freePort(), await freePort()];
}

export function message(from: string, to: string, body: string): string {
  return `<message xmlns='jabber:server' from='${from}' to='${to}' type='chat'><body>${body}</body></message>`;
}

/** alice@A writes to bob@B through `node` (a node of A). */
export function sendToB(node: TestNode, body: string): Promise<void> {
  return node.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, body));
}

/** The error {@link sendToB} rejects with. */
export async function sendToBError(node: TestNode, body = 'x'): Promise<S2sDeliveryError> {
  return (await sendToB(node, body).catch((e: unknown) => e)) as S2sDeliveryError;
}

export function bodies(node: TestNode): string[] {
  return node.received.map((r) => r.el.getChildText('body') ?? '');
}

/** Waits until `node` has received messages with exactly these bodies. */
export async function expectBodies(node: TestNode, expected: string[]): Promise<void> {
  await vi.waitFor(() => expect(bodies(node)).toEqual(expected));
}

/** The s2s_streams_open gauge of `node` for these labels. */
export function streamsOpen(
  node: TestNode,
  labels: { remote?: string; direction: 'in' | 'out'; auth?: 'dialback' | 'sasl' },
): Promise<number> {
  return node.metrics.value('s2s_streams_open', labels);
}

/** The s2s_dialback_results_total counter of `node` for these labels. */
export function dialbackResults(
  node: TestNode,
  labels: { remote: string; role: 'receiving' | 'authoritative'; result: 'valid' | 'invalid' },
): Promise<number> {
  return node.metrics.value('s2s_dialback_results_total', labels);
}
