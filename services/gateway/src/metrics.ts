/** The gateway's Prometheus metrics. Label children are bound once, not per stanza. */
import type { Metrics } from '@parley/telemetry';
import type { StanzaKind } from '@parley/routing';
import { PROXY_OUTCOMES } from './proxy/gate.js';
import type { ProxyOutcome } from './proxy/gate.js';
import type { TransportKind } from './transport/transport.js';
import { ShapingMetrics } from './shaping/metrics.js';

type Counter = ReturnType<Metrics['counter']>;
type Gauge = ReturnType<Metrics['gauge']>;
type Histogram = ReturnType<Metrics['histogram']>;
type CounterChild = ReturnType<Counter['labels']>;

/** `tcp` (STARTTLS port), `tls` (direct TLS), `ws` and `wss` (RFC 7395 WebSocket), `bosh` and `boshs` (XEP-0206). */
export type Transport = TransportKind;

const TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'ws', 'wss', 'bosh', 'boshs'];
export type ResumptionResult = 'success' | 'not-found' | 'error';
export type Direction = 'in' | 'out';

const KINDS: readonly StanzaKind[] = ['message', 'presence', 'iq'];

export class GatewayMetrics {
  /** `parley_c2s_connections{transport}`: open client connections. */
  readonly connections: Gauge;
  /** `parley_c2s_logins_total{mechanism,result}`: SASL outcomes. */
  readonly logins: Counter;
  /** `parley_c2s_stanzas_total{direction,kind}`: stanzas from (`in`) and to (`out`) clients. */
  readonly stanzas: Counter;
  /** `parley_sm_resumptions_total{result}`: XEP-0198 resumption attempts on this gateway. */
  readonly resumptions: Counter;
  /** `parley_c2s_fast_tokens_total{event}`: XEP-0484 tokens issued, rotated, invalidated by their client. */
  readonly fastTokens: Counter;
  /** `parley_sm_detached_sessions`: resumable sessions held without a connection. */
  readonly detached: Gauge;
  /** `parley_csi_held_stanzas`: stanzas held for inactive clients (XEP-0352). */
  readonly csiHeld: Gauge;
  /** `parley_c2s_proxy_headers_total{result}`: PROXY protocol outcomes (c2s.proxyProtocol). */
  readonly proxyHeaders: Counter;
  /** Traffic shaping and queue bounds (shaping/metrics.ts). */
  readonly shaping: ShapingMetrics;
  private readonly proxyChildren: Record<ProxyOutcome, CounterChild>;
  /**
   * `parley_routing_latency_seconds{kind}`: from the gateway that received a
   * client's stanza to the gateway handing it to the recipient's connection.
   */
  readonly routingLatency: ReturnType<Metrics['histogram']>;
  private readonly latencyChildren: Record<StanzaKind, ReturnType<Histogram['labels']>>;
  private readonly stanzaChildren: Record<Direction, Record<StanzaKind, CounterChild>>;

  constructor(metrics: Metrics) {
    this.connections = metrics.gauge('c2s_connections', 'Open client-to-server connections.', [
      'transport',
    ]);
    this.logins = metrics.counter('c2s_logins_total', 'Client SASL authentications by outcome.', [
      'mechanism',
      'result',
    ]);
    this.fastTokens = metrics.counter(
      'c2s_fast_tokens_total',
      'XEP-0484 FAST tokens issued, rotated and invalidated by their client.',
      ['event'],
    );
    this.stanzas = metrics.counter(
      'c2s_stanzas_total',
      'Stanzas received from and sent to clients.',
      ['direction', 'kind'],
    );
    const bind = (direction: Direction) =>
      Object.fromEntries(
        KINDS.map((kind) => [kind, this.stanzas.labels({ direction, kind })]),
      ) as Record<StanzaKind, CounterChild>;
    this.stanzaChildren = { in: bind('in'), out: bind('out') };
    this.routingLatency = metrics.histogram(
      'routing_latency_seconds',
      'Client stanzas: time from receipt at a gateway to delivery to the recipient connection.',
      ['kind'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.latencyChildren = Object.fromEntries(
      KINDS.map((kind) => [kind, this.routingLatency.labels({ kind })]),
    ) as Record<StanzaKind, ReturnType<Histogram['labels']>>;
    for (const transport of TRANSPORTS) this.connections.labels({ transport }).inc(0);
    this.resumptions = metrics.counter(
      'sm_resumptions_total',
      'XEP-0198 stream resumption attempts by outcome (success, not-found, error).',
      ['result'],
    );
    for (const result of ['success', 'not-found', 'error'] as const) {
      this.resumptions.labels({ result }).inc(0);
    }
    this.detached = metrics.gauge(
      'sm_detached_sessions',
      'Resumable sessions whose connection was lost, waiting to be resumed.',
    );
    this.csiHeld = metrics.gauge(
      'csi_held_stanzas',
      'Stanzas held for clients that indicated they are inactive (XEP-0352).',
    );
    this.proxyHeaders = metrics.counter(
      'c2s_proxy_headers_total',
      'PROXY protocol: connections admitted with the client address of their header (proxy) or the socket address (local), and connections closed (untrusted, missing, invalid, timeout, closed).',
      ['result'],
    );
    this.shaping = new ShapingMetrics(metrics);
    this.proxyChildren = Object.fromEntries(
      PROXY_OUTCOMES.map((result) => [result, this.proxyHeaders.labels({ result })]),
    ) as Record<ProxyOutcome, CounterChild>;
  }

  proxy(result: ProxyOutcome): void {
    this.proxyChildren[result].inc();
  }

  stanza(direction: Direction, kind: StanzaKind): void {
    this.stanzaChildren[direction][kind].inc();
  }

  /** A stanza received at `sentAt` (performance.timeOrigin + now, ms) reached its recipient's connection. */
  routed(kind: StanzaKind, sentAt: number): void {
    const seconds = (performance.timeOrigin + performance.now() - sentAt) / 1000;
    if (seconds >= 0) this.latencyChildren[kind]?.observe(seconds);
  }

  login(mechanism: string, result: 'success' | 'failure'): void {
    this.logins.labels({ mechanism, result }).inc();
  }

  fastToken(event: 'issued' | 'rotated' | 'invalidated'): void {
    this.fastTokens.labels({ event }).inc();
  }

  resumption(result: ResumptionResult): void {
    this.resumptions.labels({ result }).inc();
  }

  opened(transport: Transport): void {
    this.connections.labels({ transport }).inc();
  }

  closed(transport: Transport): void {
    this.connections.labels({ transport }).dec();
  }
}
