/** Two (or more) S2sEngine instances on loopback for the engine tests. */
import { defaultConfig } from '@parley/config';
import type { S2sConfig } from '@parley/config';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import { freePort } from '@parley/testkit';
import type { Element } from '@parley/xml';
import { S2sEngine } from '../../src/engine/index.js';
import type { Pem } from './pki.js';

export const A = 'a.parley-fed.net';
export const B = 'b.parley-fed.net';

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

export function bodies(node: TestNode): string[] {
  return node.received.map((r) => r.el.getChildText('body') ?? '');
}
