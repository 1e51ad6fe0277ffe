/**
 * Login and in-band registration abuse limits: the `c2s.loginLimits`
 * section and the registration rate and reserved names in `registration`.
 * What each one does and why: docs/security.md, "Login and registration
 * throttling".
 */
export interface LoginLimitsConfig {
  /** Failures per address and per account are counted in a fixed window of this length from the first one. */
  windowMs: number;
  /** This many failures from one address within the window refuse the address; 0 = never. */
  refuseAfterFailures: number;
  /** How long a refused address stays refused. */
  refuseForMs: number;
  /** This many failures against one account guard it from addresses with failures of their own; 0 = off. */
  accountGuardAfterFailures: number;
  /** Addresses and ranges that are never delayed, counted or refused (monitoring, trusted networks). */
  exemptAddresses: string[];
}

export interface RegistrationLimitsConfig {
  /** Accounts one address may register in-band per addressWindowMs; 0 = unlimited. */
  maxPerAddress: number;
  addressWindowMs: number;
  /** Accounts registered in-band per globalWindowMs by everyone together; 0 = unlimited. */
  maxGlobal: number;
  globalWindowMs: number;
  /** Localparts nobody may register in-band or through the admin API, on every served domain. */
  reservedNames: string[];
}
