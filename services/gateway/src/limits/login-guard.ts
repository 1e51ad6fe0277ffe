/**
 * The gateway's side of the login and registration limits (issue 15;
 * docs/security.md, "Login and registration throttling"), over a
 * `LoginLimits` store of @parley/cluster (in memory on a single node, in
 * Redis in a cluster):
 *
 * - `screen`: a new connection from a refused address is closed at once
 *   with policy-violation, saying until when;
 * - `admit`: before a login (SASL, SASL2, FAST) or an in-band registration,
 *   a refused address is turned away, and the attempt waits until its
 *   address's gate opens (every failure from the address pushes it, on any
 *   connection and gateway); a gate beyond the connection's negotiation
 *   deadline is answered at once without a check ("busy");
 * - `accountGuarded`: an account with accountGuardAfterFailures failures in
 *   its window is not checked for an address that has failures of its own;
 * - `failed`: counts a failure (address, account) and says how long to wait
 *   before answering it, and whether it refused the address.
 *
 * The store is asked with a timeout; an error or a timeout fails open (the
 * attempt goes on unthrottled), is counted and logged (at most once per
 * ERROR_LOG_MS). Exempt addresses (c2s.loginLimits.exemptAddresses) are
 * never delayed, counted or refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { addressKey } from '@parley/cluster';
import type { FailureOutcome, LoginLimits, RegistrationVerdict } from '@parley/cluster';
import type { Config } from '@parley/config';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Connection } from '../connection.js';
import { TrustedAddresses } from '../net/trusted-addresses.js';
import { LoginMetrics } from './login-metrics.js';
import type { RegistrationRefusal } from './login-metrics.js';

/** Longest wait for the store before failing open. */
export const STORE_TIMEOUT_MS = 1_000;
/** At most one log line per this period for store errors. */
const ERROR_LOG_MS = 10_000;

export type Admission =
  { kind: 'go' } | { kind: 'refused'; until: number } | { kind: 'busy'; waitMs: number };

export interface FailureVerdict {
  /** Wait this long before answering the failure. */
  waitMs: number;
  /** The address is refused until then (epoch ms). */
  refusedUntil?: number;
}

export class LoginGuard {
  readonly metrics: LoginMetrics;
  private readonly exempt: TrustedAddresses;
  /** Failures of the connection's address when its current attempt was admitted. */
  private readonly admitted = new WeakMap<Connection, number>();
  /** The account the connection's current attempt names (bare JID). */
  private readonly accounts = new WeakMap<Connection, string>();
  private lastErrorLog = 0;

  constructor(
    private readonly config: Config,
    private readonly limits: LoginLimits,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.metrics = new LoginMetrics(metrics);
    this.exempt = new TrustedAddresses(config.c2s.loginLimits.exemptAddresses);
  }

  /** The store, for the admin operations (list and lift refusals). */
  get store(): LoginLimits {
    return this.limits;
  }

  /** A new connection: closed at once with policy-violation when its address is refused. */
  screen(conn: Connection): void {
    if (this.exempt.has(conn.ip)) return;
    void this.safe('address', this.limits.address(conn.ip), undefined).then((state) => {
      if (state?.refusedUntil === undefined || !conn.open) return;
      this.turnAway(conn, 'connect', state.refusedUntil);
    });
  }

  /**
   * Before a login or registration attempt on `conn`: refused, answered
   * busy, or admitted once the address's gate has opened (resolves then).
   */
  async admit(conn: Connection): Promise<Admission> {
    this.accounts.delete(conn);
    this.admitted.set(conn, 0);
    if (this.exempt.has(conn.ip)) return { kind: 'go' };
    const state = await this.safe('address', this.limits.address(conn.ip), undefined);
    if (state === undefined) return { kind: 'go' };
    if (state.refusedUntil !== undefined) return { kind: 'refused', until: state.refusedUntil };
    this.admitted.set(conn, state.failures);
    if (state.waitMs <= 0) return { kind: 'go' };
    const left = conn.deadline === 0 ? Infinity : conn.deadline - Date.now();
    if (state.waitMs >= left) {
      this.metrics.throttled.labels({ reason: 'busy' }).inc();
      return { kind: 'busy', waitMs: state.waitMs };
    }
    this.metrics.throttled.labels({ reason: 'delayed' }).inc();
    await sleep(state.waitMs, undefined, { ref: false });
    return { kind: 'go' };
  }

  /** Closes `conn` with policy-violation: its address is refused until `until`. */
  turnAway(conn: Connection, stage: 'connect' | 'login' | 'registration', until: number): void {
    this.metrics.refused.labels({ stage }).inc();
    this.logger.info('connection from a refused address closed', {
      conn: conn.id,
      ip: conn.ip,
      stage,
      until: new Date(until).toISOString(),
    });
    conn.closeStream('policy-violation', refusalText(conn.ip, until));
  }

  /**
   * The account the current attempt names (bare JID): counted with its
   * failure. Resolves true when the attempt must not be checked: the account
   * is guarded and the address has failures of its own.
   */
  async accountGuarded(conn: Connection, account: string): Promise<boolean> {
    this.accounts.set(conn, account);
    const threshold = this.config.c2s.loginLimits.accountGuardAfterFailures;
    if (threshold === 0 || (this.admitted.get(conn) ?? 0) === 0) return false;
    const failures = await this.safe('account', this.limits.accountFailures(account), 0);
    if (failures < threshold) return false;
    this.metrics.throttled.labels({ reason: 'account-guarded' }).inc();
    this.logger.info('login attempt on a guarded account not checked', {
      conn: conn.id,
      ip: conn.ip,
      jid: account,
      accountFailures: failures,
    });
    return true;
  }

  /** A failed attempt on `conn` (a guess): counted; how long to wait before answering it. */
  async failed(conn: Connection): Promise<FailureVerdict> {
    const { c2s } = this.config;
    if (this.exempt.has(conn.ip)) return { waitMs: 0 };
    const account = this.accounts.get(conn);
    this.accounts.delete(conn);
    const outcome: FailureOutcome | undefined = await this.safe(
      'failure',
      this.limits.recordFailure(conn.ip, account),
      undefined,
    );
    if (outcome === undefined) return { waitMs: c2s.authFailureDelayMs };
    if (outcome.refusedNow) {
      this.metrics.refusalsStarted.inc();
      this.logger.warn('client address refused after failed logins', {
        ip: conn.ip,
        address: addressKey(conn.ip),
        failures: outcome.addressFailures,
        until: new Date(outcome.refusedUntil!).toISOString(),
      });
    }
    return {
      waitMs: Math.min(outcome.waitMs, c2s.authFailureMaxDelayMs),
      ...(outcome.refusedUntil !== undefined && { refusedUntil: outcome.refusedUntil }),
    };
  }

  /** Takes one in-band registration for the connection's address (fails open). */
  async takeRegistration(conn: Connection): Promise<RegistrationVerdict> {
    const verdict = await this.safe('registration', this.limits.takeRegistration(conn.ip), {
      ok: true,
    } as const);
    if (!verdict.ok) this.registrationRefused(`${verdict.limit}-limit`);
    return verdict;
  }

  /** Gives back a registration taken for an account that was not made. */
  returnRegistration(conn: Connection): void {
    void this.safe('registration', this.limits.returnRegistration(conn.ip), undefined);
  }

  registrationRefused(reason: RegistrationRefusal): void {
    this.metrics.registrationsRefused.labels({ reason }).inc();
  }

  /** `work` with a timeout; `fallback` (fail open) on an error or a timeout, counted and logged. */
  private async safe<T>(op: string, work: Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)),
            STORE_TIMEOUT_MS,
          );
          timer.unref();
        }),
      ]);
    } catch (err) {
      work.catch(() => undefined);
      this.metrics.errors.labels({ op }).inc();
      const now = Date.now();
      if (now - this.lastErrorLog >= ERROR_LOG_MS) {
        this.lastErrorLog = now;
        this.logger.warn('login limits store failed; logins go on unthrottled', { op, err });
      }
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The text of the stream error that turns a refused address away. */
export function refusalText(ip: string, until: number): string {
  const when = new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `too many failed logins from your address (${addressKey(ip)}); it is refused until ${when}`;
}
