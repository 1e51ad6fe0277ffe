/**
 * Metrics of the login and registration limits (limits/login-guard.ts).
 * Failed logins themselves are `parley_c2s_logins_total{result="failure"}`.
 */
import type { Metrics } from '@parley/telemetry';

type Counter = ReturnType<Metrics['counter']>;

/** Why an attempt was slowed or not checked. */
export type ThrottleReason = 'delayed' | 'busy' | 'account-guarded';
/** Where an address under refusal was turned away. */
export type RefusalStage = 'connect' | 'login' | 'registration';
/** Why an in-band registration was refused before any account was made. */
export type RegistrationRefusal = 'address-limit' | 'global-limit' | 'reserved-name';

export class LoginMetrics {
  /** `parley_c2s_login_throttled_total{reason}`. */
  readonly throttled: Counter;
  /** `parley_c2s_address_refusals_total`: addresses this gateway started refusing. */
  readonly refusalsStarted: Counter;
  /** `parley_c2s_refused_total{stage}`: connections and attempts from refused addresses. */
  readonly refused: Counter;
  /** `parley_c2s_registrations_refused_total{reason}`. */
  readonly registrationsRefused: Counter;
  /** `parley_c2s_login_limits_errors_total{op}`: store errors (the limits then fail open). */
  readonly errors: Counter;

  constructor(metrics: Metrics) {
    this.throttled = metrics.counter(
      'c2s_login_throttled_total',
      'Login attempts that waited for the failure delay of their address (delayed), were answered temporary-auth-failure without a check because the delay outlasted the connection (busy), or were not checked because the account is under attack and the address has failures (account-guarded).',
      ['reason'],
    );
    this.refusalsStarted = metrics.counter(
      'c2s_address_refusals_total',
      'Client addresses refused after repeated failed logins (c2s.loginLimits.refuseAfterFailures).',
    );
    this.refused = metrics.counter(
      'c2s_refused_total',
      'Connections (connect), login attempts (login) and in-band registrations (registration) from refused addresses, closed with policy-violation.',
      ['stage'],
    );
    this.registrationsRefused = metrics.counter(
      'c2s_registrations_refused_total',
      'In-band registrations refused: per-address or global rate limit, or a reserved name.',
      ['reason'],
    );
    this.errors = metrics.counter(
      'c2s_login_limits_errors_total',
      'Failed or timed-out operations of the login limits store (Redis); the limits fail open.',
      ['op'],
    );
  }
}
