/** Schema of the keys in login-limits-types.ts (docs/security.md, "Login and registration throttling"). */
import { addressRange } from './address-range.js';
import { durationMs, int, list, str } from './schema.js';
import type { LoginLimitsConfig, RegistrationLimitsConfig } from './login-limits-types.js';
import type { SchemaFor } from './types.js';

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

/** The names a reserved-by-default list holds: role accounts people trust mail and messages from. */
export const DEFAULT_RESERVED_NAMES: readonly string[] = [
  'admin',
  'administrator',
  'root',
  'postmaster',
  'hostmaster',
  'webmaster',
  'abuse',
  'security',
  'support',
];

export const loginLimitsSchema: SchemaFor<LoginLimitsConfig> = {
  windowMs: durationMs({
    min: 1_000,
    max: DAY,
    default: 15 * MINUTE,
    doc: 'Failed logins (SASL, SASL2, FAST tokens) are counted per client address (IPv6: per /64) and per account in a fixed window that starts at the first failure; a successful login does not reset it. While an address has failures in its window, every login attempt from it, on any connection and any gateway, waits until the failure delay (c2s.authFailureDelayMs, doubling per failure) has passed. Shared through Redis in a cluster.',
  }),
  refuseAfterFailures: int({
    min: 0,
    max: 100_000,
    default: 20,
    doc: 'Failed logins from one address within c2s.loginLimits.windowMs after which the address is refused for c2s.loginLimits.refuseForMs: its new connections and in-band registrations are closed at once with a policy-violation stream error that says until when (like ejabberd mod_fail2ban). Other addresses are never affected. 0 = never refuse.',
  }),
  refuseForMs: durationMs({
    min: 1_000,
    max: 7 * DAY,
    default: 15 * MINUTE,
    doc: 'How long an address stays refused after c2s.loginLimits.refuseAfterFailures failures. The admin API lists refusals and ends one early (listLoginRefusals, liftLoginRefusal; xmppctl api liftLoginRefusal <address>; docs/security.md).',
  }),
  accountGuardAfterFailures: int({
    min: 0,
    max: 100_000,
    default: 10,
    doc: 'Failed logins against one account (from any address) within c2s.loginLimits.windowMs after which the account is guarded: a login attempt for it from an address that has failures of its own in its window is answered not-authorized without checking the password. An address without failures is never affected, so the owner still logs in with the correct password during an attack. 0 = off.',
  }),
  exemptAddresses: list(addressRange({ doc: 'address or range' }), {
    default: [],
    doc: 'IP addresses and CIDR ranges whose failed logins are neither delayed, counted nor refused (monitoring probes, a trusted office network). Not a load balancer: with one in front, set c2s.proxyProtocol or websocket.trustedProxies so that each client is seen with its own address.',
  }),
};

/** Keys spread into the `registration` section. */
export const registrationLimitsSchema: SchemaFor<RegistrationLimitsConfig> = {
  maxPerAddress: int({
    min: 0,
    max: 1_000_000,
    default: 1,
    doc: 'Accounts one client address (IPv6: per /64) may register in-band (XEP-0077) per registration.addressWindowMs; more are answered with a policy-violation error of type wait. 0 = unlimited. Shared through Redis in a cluster.',
  }),
  addressWindowMs: durationMs({
    min: 1_000,
    max: 30 * DAY,
    default: 10 * MINUTE,
    doc: 'Window of registration.maxPerAddress (ejabberd: registration_timeout, 600 s).',
  }),
  maxGlobal: int({
    min: 0,
    max: 100_000_000,
    default: 100,
    doc: 'Accounts registered in-band by all clients together per registration.globalWindowMs (a bound on mass registration from many addresses); more are answered with a policy-violation error of type wait. 0 = unlimited.',
  }),
  globalWindowMs: durationMs({
    min: 1_000,
    max: 30 * DAY,
    default: 10 * MINUTE,
    doc: 'Window of registration.maxGlobal.',
  }),
  reservedNames: list(str({ default: '', doc: 'localpart' }), {
    default: [...DEFAULT_RESERVED_NAMES],
    doc: "Usernames (localparts, compared case-insensitively) that cannot be registered in-band (XEP-0077 not-acceptable) nor through the admin API's registerUser (400), on every served domain. Existing accounts with these names still log in, and xmppctl user add may create them. The admin API's own identity (admin.mucActor, localpart admin-api) is always reserved, whatever this list says.",
  }),
};
