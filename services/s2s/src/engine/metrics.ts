/** Prometheus series of the S2S engine, labelled by remote domain (see engine.ts). */
import type { Metrics } from '@parley/telemetry';

type Counter = ReturnType<Metrics['counter']>;
type Gauge = ReturnType<Metrics['gauge']>;

export type Direction = 'in' | 'out';
export type AuthMethod = 'sasl' | 'dialback' | 'none';

export class S2sMetrics {
  private readonly streams: Gauge;
  private readonly stanzasIn: Counter;
  private readonly stanzasOut: Counter;
  private readonly failures: Counter;
  private readonly dialbacks: Counter;

  constructor(metrics: Metrics) {
    this.streams = metrics.gauge('s2s_streams_open', 'Authenticated server-to-server streams', [
      'remote',
      'direction',
      'auth',
    ]);
    this.stanzasIn = metrics.counter(
      's2s_stanzas_in_total',
      'Stanzas received from remote servers',
      ['remote'],
    );
    this.stanzasOut = metrics.counter(
      's2s_stanzas_out_total',
      'Stanzas written to remote servers',
      ['remote'],
    );
    this.failures = metrics.counter(
      's2s_connection_failures_total',
      'Outgoing connections that failed before authentication, by reason',
      ['remote', 'reason'],
    );
    this.dialbacks = metrics.counter(
      's2s_dialback_results_total',
      'Server Dialback outcomes (role: receiving, authoritative, initiating)',
      ['remote', 'role', 'result'],
    );
  }

  streamOpened(remote: string, direction: Direction, auth: AuthMethod): void {
    this.streams.inc({ remote, direction, auth });
  }

  streamClosed(remote: string, direction: Direction, auth: AuthMethod): void {
    this.streams.dec({ remote, direction, auth });
  }

  stanzaIn(remote: string): void {
    this.stanzasIn.inc({ remote });
  }

  stanzaOut(remote: string): void {
    this.stanzasOut.inc({ remote });
  }

  failure(remote: string, reason: string): void {
    this.failures.inc({ remote, reason });
  }

  dialback(
    remote: string,
    role: 'receiving' | 'authoritative' | 'initiating',
    result: string,
  ): void {
    this.dialbacks.inc({ remote, role, result });
  }
}
