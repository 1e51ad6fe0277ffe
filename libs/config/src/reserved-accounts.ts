/**
 * Account names nobody may register or log in as: the identity the admin
 * API acts as toward the MUC service (admin.mucActor, default
 * admin-api@<first domain>), which operators list in muc.admins so it owns
 * every room. Whoever held that account would own every room too (issue 15).
 */
import type { Config } from './types.js';

/** Localparts reserved on every served domain. */
export const RESERVED_LOCALPARTS: readonly string[] = ['admin-api'];

/** The bare JID the admin API acts as toward the MUC service. */
export function adminMucActor(config: Config): string {
  return config.admin.mucActor ?? `admin-api@${config.server.domains[0] ?? 'localhost'}`;
}

/**
 * Why the bare account JID `jid` (normalized, as stored) is reserved, or
 * undefined when anyone may have it.
 */
export function reservedAccount(config: Config, jid: string): string | undefined {
  const at = jid.indexOf('@');
  const local = at === -1 ? '' : jid.slice(0, at);
  if (jid === adminMucActor(config).toLowerCase() || RESERVED_LOCALPARTS.includes(local))
    return `the username ${local} is reserved (the admin API's identity toward the MUC service)`;
  return undefined;
}

/**
 * Why the bare account JID `jid` (normalized) may not be registered in-band
 * or through the admin API: a reserved account (above), or a localpart in
 * registration.reservedNames (role names such as admin or postmaster that
 * people trust). Undefined when it may be registered. Unlike reserved
 * accounts, accounts with these names may exist (xmppctl user add makes
 * them) and log in.
 */
export function reservedForRegistration(config: Config, jid: string): string | undefined {
  const reserved = reservedAccount(config, jid);
  if (reserved !== undefined) return reserved;
  const at = jid.indexOf('@');
  const local = at === -1 ? '' : jid.slice(0, at);
  if (config.registration.reservedNames.some((name) => name.toLowerCase() === local))
    return `the username ${local} is reserved`;
  return undefined;
}
