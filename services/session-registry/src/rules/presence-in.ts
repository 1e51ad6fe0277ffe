import type { JID } from '@parley/jid';
import { envelopeOf } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import type { RosterItem } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import {
  grantFrom,
  grantTo,
  hasSubFrom,
  hasSubTo,
  revokeFrom,
  revokeTo,
} from './subscription-state.js';
import { readdress } from '../registry-context.js';
import { newItem, rosterFull, rosterFullError, saveItem, sendCurrentPresence } from './roster.js';

/** Inbound presence for a local account (RFC 6121 sections 3, 4 and 8.5). */
export async function presenceIn(
  core: RegistryContext,
  env: Envelope,
  from: JID,
  to: JID,
): Promise<void> {
  const owner = to.toBareString();
  const type = env.type;
  if (type === 'probe') return probeIn(core, from, owner);
  if (
    type === 'subscribe' ||
    type === 'subscribed' ||
    type === 'unsubscribe' ||
    type === 'unsubscribed'
  ) {
    if (!(await core.stores.accounts.get(owner))) return;
    return subscriptionIn(core, core.parse(env), from, owner, type);
  }
  // Available, unavailable and error presence.
  if (to.resource) {
    const s = core.sessions.get(owner, to.resource);
    if (s) core.deliver(s, env);
    return;
  }
  for (const s of core.sessions.available(owner)) core.deliver(s, env);
}

/** Answers a probe with the current presence of every available resource (RFC 6121 4.3.2). */
async function probeIn(core: RegistryContext, from: JID, owner: string): Promise<void> {
  const prober = from.toString();
  const item = await core.stores.rosters.getItem(owner, from.toBareString());
  if (!item || !hasSubFrom(item)) {
    if (await core.stores.accounts.get(owner)) {
      core.send(xml('presence', { type: 'unsubscribed', from: owner, to: from.toBareString() }));
    }
    return;
  }
  const available = core.sessions.available(owner);
  if (available.length === 0) {
    const last = await core.stores.lastActivity.get(owner);
    const p = xml('presence', { type: 'unavailable', from: owner, to: prober });
    if (last?.status) p.c('status').t(last.status);
    core.send(p);
    return;
  }
  sendCurrentPresence(core, owner, prober);
}

function deliverToAvailable(core: RegistryContext, owner: string, el: Element): void {
  for (const s of core.sessions.available(owner)) core.deliver(s, envelopeOf(el, 'in'));
}

/** Inbound subscription stanzas (RFC 6121 3.1.3, 3.1.6, 3.2.3, 3.3.3). */
async function subscriptionIn(
  core: RegistryContext,
  el: Element,
  from: JID,
  owner: string,
  type: string,
): Promise<void> {
  const contact = from.toBareString();
  const stanza = readdress(el, owner, contact);
  const before = await core.stores.rosters.getItem(owner, contact);
  const item: RosterItem = before ? { ...before, groups: [...before.groups] } : newItem(contact);

  switch (type) {
    case 'subscribe': {
      if (hasSubFrom(item)) {
        // Already subscribed: answer on the user's behalf (RFC 6121 3.1.3).
        core.send(xml('presence', { type: 'subscribed', from: owner, to: contact }));
        return;
      }
      if (item.approved) {
        item.subscription = grantFrom(item.subscription);
        delete item.approved;
        await saveItem(core, owner, before, item);
        core.send(xml('presence', { type: 'subscribed', from: owner, to: contact }));
        sendCurrentPresence(core, owner, contact);
        return;
      }
      // A request already pending is not delivered again (RFC 6121 Appendix A.3.1).
      if (item.pendingIn) return;
      if (!before && (await rosterFull(core, owner))) {
        // No room to keep the request: the requester is told, the user is not flooded.
        core.bounce(stanza, rosterFullError(core));
        return;
      }
      item.pendingIn = true;
      item.pendingInStanza = stanza.toString();
      await saveItem(core, owner, before, item);
      deliverToAvailable(core, owner, stanza);
      return;
    }
    case 'subscribed': {
      if (item.ask !== 'subscribe') return;
      item.subscription = grantTo(item.subscription);
      delete item.ask;
      await saveItem(core, owner, before, item);
      deliverToAvailable(core, owner, stanza);
      return;
    }
    case 'unsubscribe': {
      if (!hasSubFrom(item) && !item.pendingIn) return;
      const hadFrom = hasSubFrom(item);
      item.subscription = revokeFrom(item.subscription);
      delete item.pendingIn;
      delete item.pendingInStanza;
      await saveItem(core, owner, before, item);
      deliverToAvailable(core, owner, stanza);
      if (hadFrom) {
        for (const s of core.sessions.available(owner)) {
          core.send(
            xml('presence', { type: 'unavailable', from: `${owner}/${s.resource}`, to: contact }),
          );
        }
      }
      return;
    }
    case 'unsubscribed': {
      if (!hasSubTo(item) && !item.ask) return;
      item.subscription = revokeTo(item.subscription);
      delete item.ask;
      await saveItem(core, owner, before, item);
      deliverToAvailable(core, owner, stanza);
      return;
    }
  }
}
