import type { JID } from '@parley/jid';
import { envelopeOf } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import type { RosterItem } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import { grantFrom, hasSubFrom, hasSubTo, revokeFrom, revokeTo } from './subscription-state.js';
import { readdress } from '../registry-context.js';
import { deliverOffline } from './offline.js';
import { errorReply } from '@parley/stanza';
import {
  newItem,
  rosterFull,
  rosterFullError,
  saveItem,
  sendCurrentPresence,
  sendUnavailableFromAll,
} from './roster.js';
import type { SessionEntry } from '../sessions/session-table.js';

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

function parsePriority(el: Element): number {
  const p = el.getChildText('priority');
  if (p === undefined) return 0;
  const n = Number.parseInt(p.trim(), 10);
  return Number.isFinite(n) ? Math.max(-128, Math.min(127, n)) : 0;
}

/** Outbound presence from a local client (RFC 6121 sections 3 and 4). */
export async function presenceOut(
  core: RegistryContext,
  env: Envelope,
  from: JID,
  to: JID | undefined,
): Promise<void> {
  const el = core.parse(env);
  const type = env.type;
  if (SUBSCRIPTION_TYPES.has(type)) {
    if (to) await subscriptionOut(core, el, from, to, type);
    return;
  }
  if (type === 'probe') {
    // Clients should not probe (RFC 6121 4.3); route it so the contact's server answers.
    if (to) core.send(readdress(el, to.toString(), from.toString()));
    return;
  }
  if (type !== '' && type !== 'unavailable') return; // error presences from clients: nothing to do
  const owner = from.toBareString();
  const session = core.sessions.get(owner, from.resource);
  if (!session) return;

  if (to && to.toBareString() !== owner) {
    // Directed presence (RFC 6121 4.6).
    const target = to.toString();
    if (type === 'unavailable') session.directed.delete(target);
    else {
      const item = await core.stores.rosters.getItem(owner, to.toBareString());
      if (!item || !hasSubFrom(item)) session.directed.add(target);
    }
    core.sessions.touch(owner, session);
    core.routeIn(env);
    return;
  }
  if (to) return; // presence to own bare/full JID: ignore

  if (type === '') await broadcastAvailable(core, owner, session, el);
  else await broadcastUnavailable(core, owner, session, el);
}

async function broadcastAvailable(
  core: RegistryContext,
  owner: string,
  session: SessionEntry,
  el: Element,
): Promise<void> {
  const initial = !session.available;
  const wasNegative = !initial && session.priority < 0;
  session.available = true;
  session.priority = parsePriority(el);
  const full = `${owner}/${session.resource}`;
  const stored = el.clone();
  stored.setAttr('to', undefined);
  session.presence = stored.toString();
  core.sessions.touch(owner, session);

  const roster = await core.stores.rosters.get(owner);
  for (const item of roster.items) {
    if (hasSubFrom(item)) await core.sendOnBehalf(readdress(el, item.jid, full));
  }
  // The user's own available resources, including the sender (RFC 6121 4.2.2 / 4.4.2).
  for (const s of core.sessions.available(owner)) {
    core.deliver(s, envelopeOf(readdress(el, `${owner}/${s.resource}`, full), 'in'));
  }
  if (!initial) {
    // Stored messages go to the first non-negative presence (XEP-0160), also when an
    // already available resource raises its priority from below zero.
    if (wasNegative && session.priority >= 0) await deliverOffline(core, owner, session);
    return;
  }
  for (const item of roster.items) {
    if (hasSubTo(item))
      await core.sendOnBehalf(xml('presence', { type: 'probe', from: full, to: item.jid }));
    if (item.pendingIn && item.pendingInStanza) {
      // Redeliver subscription requests that arrived while offline (RFC 6121 3.1.3).
      core.deliver(session, {
        ...envelopeOf(readdress(core.parse(item.pendingInStanza), full), 'in'),
      });
    }
  }
  if (session.priority >= 0) await deliverOffline(core, owner, session);
}

export async function broadcastUnavailable(
  core: RegistryContext,
  owner: string,
  session: SessionEntry,
  el: Element,
): Promise<void> {
  if (!session.available) {
    if (session.directed.size > 0) {
      // Directed presence without a broadcast one (e.g. a MUC join before initial
      // presence): its recipients still learn that the session went away.
      const full = `${owner}/${session.resource}`;
      for (const target of session.directed) await core.sendOnBehalf(readdress(el, target, full));
      session.directed.clear();
      core.sessions.touch(owner, session);
    }
    return;
  }
  session.available = false;
  delete session.presence;
  const full = `${owner}/${session.resource}`;
  const roster = await core.stores.rosters.get(owner);
  const sent = new Set<string>();
  for (const item of roster.items) {
    if (hasSubFrom(item)) {
      await core.sendOnBehalf(readdress(el, item.jid, full));
      sent.add(item.jid);
    }
  }
  for (const target of session.directed)
    if (!sent.has(target)) await core.sendOnBehalf(readdress(el, target, full));
  session.directed.clear();
  core.sessions.touch(owner, session);
  for (const s of core.sessions.resources(owner)) {
    if (s.available || s === session)
      core.deliver(s, envelopeOf(readdress(el, `${owner}/${s.resource}`, full), 'in'));
  }
}

/** Outbound subscription stanzas (RFC 6121 3.1.2, 3.1.5, 3.2.2, 3.3.2, 3.4). */
async function subscriptionOut(
  core: RegistryContext,
  el: Element,
  from: JID,
  to: JID,
  type: string,
): Promise<void> {
  const owner = from.toBareString();
  const contact = to.toBareString();
  if (contact === owner) return;
  // Subscription stanzas carry bare JIDs on both ends (RFC 6121 3.1.1).
  const out = readdress(el, contact, owner);
  const before = await core.stores.rosters.getItem(owner, contact);
  const item: RosterItem = before ? { ...before, groups: [...before.groups] } : newItem(contact);
  if (
    !before &&
    (type === 'subscribe' || type === 'subscribed') &&
    (await rosterFull(core, owner))
  ) {
    // A new contact would need a roster item: refused to the sender, nothing routed.
    core.send(errorReply(readdress(el, owner, from.toString()), rosterFullError(core)));
    return;
  }

  switch (type) {
    case 'subscribe':
      if (!hasSubTo(item)) item.ask = 'subscribe';
      if (!before || item.ask !== before.ask) await saveItem(core, owner, before, item);
      core.send(out);
      return;
    case 'subscribed':
      if (item.pendingIn) {
        item.subscription = grantFrom(item.subscription);
        delete item.pendingIn;
        delete item.pendingInStanza;
        delete item.approved;
        await saveItem(core, owner, before, item);
        core.send(out);
        // The contact now sees our presence (RFC 6121 3.1.5).
        sendCurrentPresence(core, owner, contact);
      } else if (!hasSubFrom(item) && !item.approved) {
        // Pre-approval (RFC 6121 3.4).
        item.approved = true;
        await saveItem(core, owner, before, item);
      }
      return;
    case 'unsubscribe':
      if (hasSubTo(item) || item.ask) {
        item.subscription = revokeTo(item.subscription);
        delete item.ask;
        await saveItem(core, owner, before, item);
      }
      core.send(out);
      return;
    case 'unsubscribed': {
      // RFC 6121 3.2.2 and Appendix A.2.4: only a subscription (from/both) or a pending
      // request is cancelled at the contact; cancelling a pre-approval (3.4) stays here,
      // and in the other states nothing is routed.
      const hadFrom = hasSubFrom(item);
      const routed = hadFrom || item.pendingIn === true;
      if (!routed && !item.approved) return;
      item.subscription = revokeFrom(item.subscription);
      delete item.pendingIn;
      delete item.pendingInStanza;
      delete item.approved;
      if (before) await saveItem(core, owner, before, item);
      // The contact learns we went away while it is still subscribed, then that it is not.
      if (hadFrom) await sendUnavailableFromAll(core, owner, contact);
      if (routed) core.send(out);
      return;
    }
  }
}
