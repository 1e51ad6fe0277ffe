import { tryParseJID } from '@parley/jid';
import { envelopeOf } from '@parley/routing';
import {
  NS_ROSTER,
  badRequest,
  forbidden,
  itemNotFound,
  notAcceptable,
  notAllowed,
} from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import { readdress } from '../registry-context.js';
import type { IqRequest } from '../modules/types.js';

/**
 * Whether the client sees the item in its roster (RFC 6121 2.1): listed by
 * the user, or carrying subscription state, a pending-out request or a
 * pre-approval (RFC 6121 3.4: the pre-approved contact is added to the roster).
 */
export function isVisible(item: RosterItem): boolean {
  return (
    item.listed || item.subscription !== 'none' || item.ask !== undefined || item.approved === true
  );
}

export function itemElement(item: RosterItem, remove = false): Element {
  const el = xml('item', {
    jid: item.jid,
    name: remove ? undefined : item.name,
    subscription: remove ? 'remove' : item.subscription,
    ask: remove ? undefined : item.ask,
    approved: !remove && item.approved ? 'true' : undefined,
  });
  if (!remove) for (const g of item.groups) el.c('group').t(g);
  return el;
}

let pushSeq = 0;

/** Roster push (RFC 6121 2.1.6) to every resource of `owner` that requested the roster. */
export function pushItem(
  core: RegistryContext,
  owner: string,
  item: RosterItem,
  version: string,
  remove = false,
): void {
  for (const s of core.sessions.resources(owner)) {
    if (!s.interested) continue;
    const iq = xml(
      'iq',
      { type: 'set', id: `push${++pushSeq}`, to: `${owner}/${s.resource}`, from: owner },
      xml('query', { xmlns: NS_ROSTER, ver: version }, itemElement(item, remove)),
    );
    core.deliver(s, envelopeOf(iq, 'in'));
  }
}

/** Saves an item and pushes it when its visible form changed. */
export async function saveItem(
  core: RegistryContext,
  owner: string,
  before: RosterItem | undefined,
  item: RosterItem,
): Promise<void> {
  // Once in the roster, an item stays there until the user removes it: a later
  // state change (a denial, a cancellation) is pushed as subscription='none',
  // not as a removal (RFC 6121 3.2.3, 3.3.3).
  if (isVisible(item)) item.listed = true;
  const version = await core.stores.rosters.setItem(owner, item);
  const wasVisible = before !== undefined && isVisible(before);
  if (isVisible(item)) {
    if (!before || itemElement(before).toString() !== itemElement(item).toString() || !wasVisible) {
      pushItem(core, owner, item, version);
    }
  } else if (wasVisible) pushItem(core, owner, item, version, true);
}

/**
 * Whether `owner` may not get one more roster item (`quotas.rosterMaxItems`,
 * docs/security.md): items the user sees and pending inbound subscription
 * requests count, leftovers of denied requests do not. Only called before
 * an item is created, so one roster read per new contact.
 */
export async function rosterFull(core: RegistryContext, owner: string): Promise<boolean> {
  const max = core.config.quotas.rosterMaxItems;
  if (max === 0) return false;
  const { items } = await core.stores.rosters.get(owner);
  let n = 0;
  for (const item of items) if (isVisible(item) || item.pendingIn === true) n++;
  return n >= max;
}

/** The error for an item a full roster cannot take. */
export function rosterFullError(core: RegistryContext): StanzaError {
  return notAllowed(`the roster is full (${core.config.quotas.rosterMaxItems} items)`);
}

export function newItem(jid: string): RosterItem {
  return { jid, subscription: 'none', groups: [], listed: false };
}

/**
 * The roster is the account's own: a roster get or set addressed to another
 * user's bare JID is refused (RFC 6121 2.3.3: forbidden when the sender is not
 * authorized), rather than applied to the sender's roster.
 */
function ownRoster(req: IqRequest): string {
  const owner = req.from.toBareString();
  if (req.to.toBareString() !== owner)
    throw forbidden('only the account itself may use its roster');
  return owner;
}

/** roster get (RFC 6121 2.1.3) with versioning (XEP-0237 / RFC 6121 2.6). */
export async function rosterGet(core: RegistryContext, req: IqRequest): Promise<Element | void> {
  const owner = ownRoster(req);
  const session = core.sessions.get(owner, req.from.resource);
  if (session && !session.interested) {
    session.interested = true;
    core.sessions.touch(owner, session);
  }
  const roster = await core.stores.rosters.get(owner);
  const ver = req.payload.attr('ver');
  if (ver !== undefined && ver === roster.version) return undefined;
  const q = xml('query', { xmlns: NS_ROSTER, ver: roster.version });
  for (const item of roster.items) if (isVisible(item)) q.append(itemElement(item));
  return q;
}

/** roster set (RFC 6121 2.1.5 / 2.5): add, update or remove one item. */
export async function rosterSet(core: RegistryContext, req: IqRequest): Promise<Element | void> {
  const owner = ownRoster(req);
  const items = req.payload.getChildren('item');
  if (items.length !== 1) throw badRequest('a roster set carries exactly one item');
  const itemEl = items[0]!;
  const jidAttr = itemEl.attr('jid');
  const contact = jidAttr === undefined ? undefined : tryParseJID(jidAttr);
  if (!contact) throw badRequest('item jid is missing or malformed');
  const contactBare = contact.toBareString();
  if (contactBare === owner) throw notAllowed('cannot add yourself to your roster');
  const before = await core.stores.rosters.getItem(owner, contactBare);

  if (itemEl.attr('subscription') === 'remove') {
    // RFC 6121 2.5.3: removing an item that is not in the roster is item-not-found.
    if (!before) throw itemNotFound('no such item in the roster');
    await removeItem(core, owner, before);
    return undefined;
  }

  const groups: string[] = [];
  for (const g of itemEl.getChildren('group')) {
    const name = g.text();
    if (name.length === 0) throw notAcceptable('empty group name');
    if (groups.includes(name)) throw badRequest('duplicate group');
    groups.push(name);
  }
  if (!before && (await rosterFull(core, owner))) throw rosterFullError(core);
  const name = itemEl.attr('name');
  const item: RosterItem = { ...(before ?? newItem(contactBare)), groups, listed: true };
  if (name !== undefined && name !== '') item.name = name;
  else delete item.name;
  await saveItem(core, owner, before, item);
  return undefined;
}

/** Item removal cancels both directions of the subscription (RFC 6121 2.5.2). */
export async function removeItem(
  core: RegistryContext,
  owner: string,
  item: RosterItem,
): Promise<void> {
  const version = await core.stores.rosters.removeItem(owner, item.jid);
  if (isVisible(item)) pushItem(core, owner, item, version, true);
  if (item.subscription === 'to' || item.subscription === 'both' || item.ask) {
    await core.sendOnBehalf(xml('presence', { type: 'unsubscribe', from: owner, to: item.jid }));
  }
  if (item.subscription === 'from' || item.subscription === 'both' || item.pendingIn) {
    // Unavailable first, while the contact is still subscribed (RFC 6121 3.2.2).
    if (item.subscription === 'from' || item.subscription === 'both')
      await sendUnavailableFromAll(core, owner, item.jid);
    await core.sendOnBehalf(xml('presence', { type: 'unsubscribed', from: owner, to: item.jid }));
  }
}

/** The contact may see our presence (now): send it that of every available resource. */
export function sendCurrentPresence(core: RegistryContext, owner: string, to: string): void {
  for (const s of core.sessions.available(owner)) {
    if (s.presence) core.send(readdress(core.parse(s.presence), to, `${owner}/${s.resource}`));
  }
}

/** The contact no longer may see our presence: tell it every resource is gone. */
export async function sendUnavailableFromAll(
  core: RegistryContext,
  owner: string,
  to: string,
): Promise<void> {
  for (const s of core.sessions.available(owner)) {
    await core.sendOnBehalf(
      xml('presence', { type: 'unavailable', from: `${owner}/${s.resource}`, to }),
    );
  }
}
