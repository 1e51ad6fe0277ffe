/**
 * What the gateway does at the per-address limits (address-limits.ts): the
 * connection evicted to make room for a newcomer, the login refused over
 * the session cap, and their metric
 * (`parley_c2s_address_limit_total{action}`: `evicted`, `session-refused`).
 */
import type { Metrics } from '@parley/telemetry';
import type { Connection } from '../connection.js';

type CounterChild = ReturnType<ReturnType<Metrics['counter']>['labels']>;

export class AddressLimitMetrics {
  readonly evicted: CounterChild;
  readonly refused: CounterChild;

  constructor(metrics: Metrics) {
    const counter = metrics.counter(
      'c2s_address_limit_total',
      'Per-address connection limits at work: unauthenticated connections closed to make room for a newer one of the same address (evicted), logins refused over c2s.maxSessionsPerAddress (session-refused).',
      ['action'],
    );
    this.evicted = counter.labels({ action: 'evicted' });
    this.refused = counter.labels({ action: 'session-refused' });
    this.evicted.inc(0);
    this.refused.inc(0);
  }
}

/**
 * Closes `conn`, the oldest unauthenticated connection of an address at its
 * cap: a policy-violation stream error once a stream is open, a plain close
 * before (TLS handshake) or while it is closing anyway.
 */
export function evictConnection(conn: Connection): void {
  if (!conn.open || conn.state === 'tls-handshake') {
    conn.destroy();
    return;
  }
  conn.closeStream(
    'policy-violation',
    'too many unauthenticated connections from your address: this was the oldest one',
  );
}

/**
 * A login over `c2s.maxSessionsPerAddress`: its SASL exchange succeeded, but
 * the stream ends with policy-violation (RFC 6120 4.9.3.14, a local service
 * policy) instead of the success, so the client knows its password was right
 * and why it cannot log in. Sessions already open are left alone.
 */
export function refuseSession(conn: Connection, jid: string): void {
  const { ctx } = conn;
  ctx.logger.warn('login refused: too many sessions from one address', {
    conn: conn.id,
    ip: conn.ip,
    jid,
    limit: ctx.config.c2s.maxSessionsPerAddress,
  });
  conn.closeStream(
    'policy-violation',
    `too many sessions from your address (the limit is ${ctx.config.c2s.maxSessionsPerAddress})`,
  );
}
