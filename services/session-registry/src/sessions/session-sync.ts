/**
 * Re-registration (`session-sync`): after a partition changed owner or
 * Redis lost the session table, the gateways list the sessions they hold
 * in it, so that users who are online keep receiving their messages
 * instead of having them stored offline. Runs in the partition's order,
 * after whatever the gateway published before (binds, unbinds) and before
 * whatever it publishes after, so a session that ended after being listed
 * is removed again by its unbind, never left behind.
 */
import { bareOf, resourceOf } from '@parley/jid';
import type { GatewayMessage, SessionSync, SyncedSession } from '@parley/routing';
import { gatewaySubject } from '@parley/routing';
import type { RegistryContext } from '../registry-context.js';
import { deliverOffline } from '../rules/offline.js';
import type { SessionEntry } from './session-table.js';
import { RESUMABLE, endSession } from './sessions.js';

/**
 * - `added`: the owner did not know the session;
 * - `known`: it did, on that connection (refreshed);
 * - `replaced`: another connection held the resource, bound earlier: it was ended;
 * - `refused`: another connection bound later holds it, or the account is gone: the listed one is closed.
 */
export type SyncOutcome = 'added' | 'known' | 'replaced' | 'refused';

export async function syncSessions(
  core: RegistryContext,
  m: SessionSync,
  count: (outcome: SyncOutcome) => void,
): Promise<void> {
  for (const s of m.sessions) {
    const bare = bareOf(s.jid);
    const resource = resourceOf(s.jid);
    if (bare === '' || !resource) continue;
    count(await syncOne(core, m.gw, s, bare, resource));
  }
}

async function syncOne(
  core: RegistryContext,
  gw: string,
  s: SyncedSession,
  bare: string,
  resource: string,
): Promise<SyncOutcome> {
  const existing = core.sessions.get(bare, resource);
  if (existing !== undefined && existing.conn === s.conn) {
    let changed = false;
    if (existing.gw !== gw) {
      existing.gw = gw;
      changed = true;
    }
    if (s.resumable === true && existing.flags?.[RESUMABLE] !== true) {
      existing.flags = { ...existing.flags, [RESUMABLE]: true };
      changed = true;
    }
    if (changed) core.sessions.touch(bare, existing);
    return 'known';
  }
  const account = await core.stores.accounts.get(bare);
  if (account === undefined || account.banned === true) {
    await kick(core, gw, s.conn, 'not-authorized', 'account unavailable');
    return 'refused';
  }
  const boundAt = s.boundAt ?? 0;
  if (existing !== undefined) {
    // Two connections claim one full JID (a kick was lost with the old owner): the later bind wins.
    if (existing.boundAt > boundAt) {
      await kick(core, gw, s.conn, 'conflict', 'Replaced by new connection');
      return 'refused';
    }
    await kick(core, existing.gw, existing.conn, 'conflict', 'Replaced by new connection');
    await endSession(core, bare, resource, existing.conn);
  }
  const entry: SessionEntry = {
    resource,
    jid: s.jid,
    gw,
    conn: s.conn,
    available: s.available === true,
    priority: clampPriority(s.priority),
    interested: s.interested === true,
    directed: new Set(),
    boundAt: boundAt > 0 ? boundAt : Date.now(),
  };
  if (entry.available && s.presence !== undefined) entry.presence = s.presence;
  if (s.resumable === true) entry.flags = { [RESUMABLE]: true };
  // No presence broadcast: the contacts saw this session come online already.
  core.sessions.put(bare, entry);
  // Messages stored for it while nobody knew it was online go to it now.
  if (entry.available && entry.priority >= 0) await deliverOffline(core, bare, entry);
  return existing === undefined ? 'added' : 'replaced';
}

function clampPriority(p: number | undefined): number {
  if (p === undefined || !Number.isFinite(p)) return 0;
  return Math.max(-128, Math.min(127, Math.trunc(p)));
}

async function kick(
  core: RegistryContext,
  gw: string,
  conn: string,
  condition: 'conflict' | 'not-authorized',
  text: string,
): Promise<void> {
  const msg: GatewayMessage = { t: 'kick', conn, condition, text };
  await core.bus.publishDurable(gatewaySubject(gw), msg);
}
