import type {
  BindReply,
  BindRequest,
  BounceRequest,
  Envelope,
  FenceDone,
  GatewayMessage,
  UnbindRequest,
} from '@parley/routing';
import { bareOf, resourceOf } from '@parley/jid';
import { gatewaySubject, partitionOf } from '@parley/routing';
import { xml } from '@parley/xml';
import { randomBytes } from 'node:crypto';
import type { RegistryContext } from '../registry-context.js';
import type { IqHandlers } from '../rules/iq.js';
import { handleInbound } from '../rules/route-stanza.js';
import { broadcastUnavailable } from '../rules/presence-out.js';
import { removeItem } from '../rules/roster.js';
import { roomForResource } from './resource-limit.js';
import { DETACHED } from './session-table.js';
import type { SessionEntry } from './session-table.js';

/**
 * Resource binding (RFC 6120 section 7). A resource already bound by another
 * connection is taken over: the older session is closed with a <conflict/>
 * stream error (RFC 6120 7.7.2.2, "override" policy).
 */
export async function bind(core: RegistryContext, req: BindRequest): Promise<BindReply> {
  const account = await core.stores.accounts.get(req.jid);
  if (!account || account.banned)
    return { ok: false, condition: 'not-allowed', text: 'account unavailable' };
  if (req.takeover !== undefined) return takeover(core, req);
  let resource = req.resource;
  if (!resource) {
    do resource = randomBytes(6).toString('base64url');
    while (core.sessions.get(req.jid, resource));
  }
  const existing = core.sessions.get(req.jid, resource);
  if (existing && existing.conn !== req.conn) {
    const kick: GatewayMessage = {
      t: 'kick',
      conn: existing.conn,
      condition: 'conflict',
      text: 'Replaced by new connection',
    };
    await core.bus.publishDurable(gatewaySubject(existing.gw), kick);
    await endSession(core, req.jid, existing.resource, existing.conn);
  } else if (!existing) {
    // A new resource: the account's limit (a replaced resource takes the place it frees).
    const room = roomForResource(
      core.sessions.resources(req.jid),
      core.config.quotas.maxResourcesPerAccount,
    );
    if (!room.ok) {
      core.logger.info('bind refused: resource limit', { jid: req.jid, gw: req.gw });
      return { ok: false, condition: room.condition, text: room.text };
    }
    for (const s of room.evict) {
      const kick: GatewayMessage = {
        t: 'kick',
        conn: s.conn,
        // No connection any more (detached): nothing reads the condition.
        condition: 'policy-violation',
        text: 'the account reached its resource limit',
      };
      await core.bus.publishDurable(gatewaySubject(s.gw), kick);
      await endSession(core, req.jid, s.resource, s.conn);
    }
  }
  core.sessions.put(req.jid, {
    resource,
    jid: `${req.jid}/${resource}`,
    gw: req.gw,
    conn: req.conn,
    available: false,
    priority: 0,
    interested: false,
    directed: new Set(),
    boundAt: Date.now(),
  });
  return { ok: true, jid: `${req.jid}/${resource}` };
}

/**
 * XEP-0198 resumption: the same session continues on another connection.
 * The session is fenced while it moves (fence.ts): deliveries parked for it
 * (drained from its dead gateway) go to the new connection first, then what
 * the old connection returns, then what was routed to the session since;
 * all of it after what the client gets retransmitted (the gateway holds
 * deliveries until the resumption is complete).
 */
async function takeover(core: RegistryContext, req: BindRequest): Promise<BindReply> {
  const existing =
    req.resource === undefined ? undefined : core.sessions.get(req.jid, req.resource);
  if (!existing || existing.conn !== req.takeover) {
    return { ok: false, condition: 'not-allowed', text: 'the session to resume is gone' };
  }
  const jid = `${req.jid}/${existing.resource}`;
  const from = { gw: existing.gw, conn: existing.conn };
  existing.gw = req.gw;
  existing.conn = req.conn;
  if (existing.flags?.[DETACHED]) {
    const { [DETACHED]: _resumed, ...rest } = existing.flags;
    if (Object.keys(rest).length > 0) existing.flags = rest;
    else delete existing.flags;
  }
  const parked = existing.parked === true ? await unpark(core, req.jid, existing) : [];
  core.sessions.touch(req.jid, existing);
  core.fences.start(existing, jid, from.gw, from.conn, parked);
  if (parked.length > 0)
    core.logger.info('parked deliveries handed to the resumed session', {
      jid,
      count: parked.length,
    });
  return { ok: true, jid };
}

/** `fence-done`: the old connection of a moving session returned what it held. */
export function fenceDone(core: RegistryContext, m: FenceDone): void {
  const resource = resourceOf(m.jid);
  if (resource === undefined) return;
  core.fences.done(core.sessions.get(bareOf(m.jid), resource), m);
}

async function unpark(core: RegistryContext, owner: string, s: SessionEntry): Promise<Envelope[]> {
  delete s.parked;
  const items = await core.sessionStore.unpark(
    partitionOf(owner, core.partitions),
    owner,
    s.resource,
  );
  const out: Envelope[] = [];
  for (const item of items) {
    try {
      out.push(JSON.parse(item) as Envelope);
    } catch {
      core.logger.warn('dropping an unreadable parked delivery', { jid: `${owner}/${s.resource}` });
    }
  }
  return out;
}

/** The connection closed: presence unavailable to whoever saw it, last activity recorded. */
export async function unbind(core: RegistryContext, req: UnbindRequest): Promise<void> {
  const resource = resourceOf(req.jid);
  if (resource === undefined) return;
  await endSession(core, bareOf(req.jid), resource, req.conn);
}

export async function endSession(
  core: RegistryContext,
  owner: string,
  resource: string,
  conn: string,
): Promise<void> {
  const s = core.sessions.get(owner, resource);
  if (!s || s.conn !== conn) return; // already replaced or gone
  // Directed presence alone (e.g. a MUC room entered before initial presence) is ended too.
  if (s.available || s.directed.size > 0) {
    await broadcastUnavailable(
      core,
      owner,
      s,
      xml('presence', { type: 'unavailable', from: `${owner}/${resource}` }),
    );
  }
  core.sessions.remove(owner, resource);
  // Held back while it was moving to this connection: routed again as if it never existed.
  for (const env of core.fences.cancel(s)) {
    core.bounceDelivery({ env, conn, jid: `${owner}/${resource}` }).catch((err: unknown) => {
      core.logger.error('bounce publish failed', { to: env.to, err });
    });
  }
  if (s.parked === true) {
    // Deliveries parked for it are routed again as if this session never existed.
    for (const env of await unpark(core, owner, s)) {
      core.bounceDelivery({ env, conn, jid: `${owner}/${resource}` }).catch((err: unknown) => {
        core.logger.error('bounce publish failed', { to: env.to, err });
      });
    }
  }
  if (core.sessions.resources(owner).length === 0) {
    await core.stores.lastActivity.set(owner, { ts: Date.now() });
  }
}

/** A gateway could not hand over a stanza: route it as if that session were gone. */
export async function bounced(
  core: RegistryContext,
  iqs: IqHandlers,
  req: BounceRequest,
): Promise<void> {
  const owner = bareOf(req.to);
  const resource = resourceOf(req.to);
  if (req.conn !== undefined && resource !== undefined) {
    // Returned by the connection the session is moving away from: it goes to the new one.
    const s = core.sessions.get(owner, resource);
    if (s !== undefined && core.fences.returned(s, req.conn, req.env)) return;
  }
  if (req.drained === true && req.conn !== undefined && resource !== undefined) {
    const s = core.sessions.get(owner, resource);
    if (s !== undefined && s.conn === req.conn && s.flags?.[RESUMABLE] === true) {
      // Its gateway died and it was not resumed yet: kept for the resumption.
      await core.sessionStore.park(
        partitionOf(owner, core.partitions),
        owner,
        resource,
        JSON.stringify(req.env),
        core.config.sm.resumeTimeoutMs + 60_000,
      );
      if (s.parked !== true) {
        s.parked = true;
        core.sessions.touch(owner, s);
      }
      return;
    }
  }
  const skip =
    req.conn ?? (resource === undefined ? undefined : core.sessions.get(owner, resource)?.conn);
  await handleInbound(core, iqs, { ...req.env, stage: 'in' }, skip);
}

/**
 * An account was deleted (in-band or by an operator): its remaining
 * sessions are closed, its contacts are unsubscribed both ways (as for a
 * roster removal, RFC 6121 2.5.2) and everything stored for it is deleted.
 */
export async function accountRemoved(core: RegistryContext, jid: string): Promise<void> {
  for (const s of core.sessions.resources(jid)) {
    const kick: GatewayMessage = {
      t: 'kick',
      conn: s.conn,
      condition: 'not-authorized',
      text: 'the account has been removed',
    };
    await core.bus.publishDurable(gatewaySubject(s.gw), kick);
    await endSession(core, jid, s.resource, s.conn);
  }
  const roster = await core.stores.rosters.get(jid);
  for (const item of roster.items) await removeItem(core, jid, item);
  await core.stores.rosters.deleteAll(jid);
  await core.stores.offline.deleteAll(jid);
  await core.stores.lastActivity.delete(jid);
  await core.stores.blocklists.clear(jid);
  await core.stores.archive.deleteAll(jid);
  // PEP nodes (XEP-0163) with their items and subscriptions, vcard-temp, private XML.
  await core.stores.pubsub.deleteService(jid);
  await core.stores.vcards.delete(jid);
  await core.stores.privateXml.deleteAll(jid);
  // XEP-0357: the app servers the account enabled, its devices on the built-in push service.
  await core.stores.pushRegistrations.deleteAll(jid);
  await core.stores.pushDevices.deleteAll(jid);
  // XEP-0484: the account's FAST token records (its tokens already fail: no credentials).
  await core.stores.fastTokens.deleteAll(jid);
  core.logger.info('account data removed', { jid });
}

/** Session flag: XEP-0198 resumption is enabled (see reaper.ts). */
export const RESUMABLE = 'resumable';

export function markDetached(core: RegistryContext, fullJid: string, conn: string): void {
  const resource = resourceOf(fullJid);
  if (resource === undefined) return;
  const owner = bareOf(fullJid);
  const s = core.sessions.get(owner, resource);
  if (!s || s.conn !== conn || s.flags?.[DETACHED]) return;
  s.flags = { ...s.flags, [DETACHED]: true };
  core.sessions.touch(owner, s);
}

export function markResumable(core: RegistryContext, fullJid: string, conn: string): void {
  const resource = resourceOf(fullJid);
  if (resource === undefined) return;
  const owner = bareOf(fullJid);
  const s = core.sessions.get(owner, resource);
  if (!s || s.conn !== conn || s.flags?.[RESUMABLE]) return;
  s.flags = { ...s.flags, [RESUMABLE]: true };
  core.sessions.touch(owner, s);
}
