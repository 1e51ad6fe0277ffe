/**
 * Counters that resist password guessing and mass registration (issue 15;
 * docs/security.md, "Login and registration throttling"), one contract with
 * two implementations: `MemoryLoginLimits` (single node, bounded LRU maps)
 * and `RedisLoginLimits` (cluster: every gateway sees the same counters).
 *
 * Addresses are grouped by `addressKey` (IPv4 alone, IPv6 per /64) inside
 * the store: callers pass the client address as they see it.
 *
 * Per address: failed logins in a fixed window from the first one (a
 * success resets nothing), a gate (the time before which no attempt from the
 * address may be checked: each failure pushes it by the failure delay), and
 * a refusal after `refuseAfterFailures` failures. Per account: failures in
 * the same kind of window. Registration: successful in-band registrations
 * per address and overall, in fixed windows.
 */

export interface LoginLimitsOptions {
  /** Length of the failure windows (per address, per account). */
  windowMs: number;
  /** Delay added to an address's gate by its first failure; each further one doubles it. 0 = none. */
  baseDelayMs: number;
  /** Largest delay one failure adds. */
  maxDelayMs: number;
  /** Failures from an address (within its window) that refuse it; 0 = never. */
  refuseAfterFailures: number;
  refuseForMs: number;
  registration: {
    /** Registrations per address per addressWindowMs; 0 = unlimited. */
    maxPerAddress: number;
    addressWindowMs: number;
    /** Registrations overall per globalWindowMs; 0 = unlimited. */
    maxGlobal: number;
    globalWindowMs: number;
  };
}

/** What an attempt from one address must respect. */
export interface AddressState {
  /** Failures from the address in its current window. */
  failures: number;
  /** How long an attempt from the address must wait before it is checked (0: at once). */
  waitMs: number;
  /** Epoch ms until which the address is refused, when it is. */
  refusedUntil?: number;
}

export interface FailureOutcome {
  /** Failures from the address in its window, this one included. */
  addressFailures: number;
  /** Failures against the account in its window, this one included (0: none given). */
  accountFailures: number;
  /** How long the next attempt from the address must wait (the gate after this failure). */
  waitMs: number;
  /** Epoch ms until which the address is refused, when it is. */
  refusedUntil?: number;
  /** This failure started the refusal. */
  refusedNow: boolean;
}

export interface Refusal {
  /** The address as the limits group it (`addressKey`): `203.0.113.7`, `2001:db8:1:2::/64`. */
  address: string;
  /** Epoch ms when the refusal ends. */
  until: number;
  /** Failures that led to it. */
  failures: number;
}

export type RegistrationVerdict =
  { ok: true } | { ok: false; limit: 'address' | 'global'; retryAfterMs: number };

export interface LoginLimits {
  /** Before an attempt (login or registration) from `address`: its failures, wait and refusal. */
  address(address: string): Promise<AddressState>;
  /** Failures against `account` (a bare JID) in its window. */
  accountFailures(account: string): Promise<number>;
  /**
   * Counts one failure from `address` (and against `account` when given),
   * pushes the address's gate, and refuses the address when it reached
   * refuseAfterFailures.
   */
  recordFailure(address: string, account?: string): Promise<FailureOutcome>;
  /** The addresses refused now. */
  refusals(): Promise<Refusal[]>;
  /**
   * Lifts the refusal of `address` (any address of a /64, or the /64 as
   * listed) and forgets its failures and gate. Resolves whether it was refused.
   */
  lift(address: string): Promise<boolean>;
  /**
   * Takes one in-band registration for `address` if neither its limit nor
   * the global one is reached; counted until `returnRegistration`.
   */
  takeRegistration(address: string): Promise<RegistrationVerdict>;
  /** Gives back a registration taken for an account that was not made (name taken, invalid). */
  returnRegistration(address: string): Promise<void>;
}

/** The delay the `failures`-th failure adds: base, doubled per failure, at most max. */
export function failureDelay(opts: LoginLimitsOptions, failures: number): number {
  if (opts.baseDelayMs <= 0 || failures <= 0) return 0;
  return Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(failures - 1, 30));
}
