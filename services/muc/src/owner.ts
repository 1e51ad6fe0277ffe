/**
 * Owner use cases (XEP-0045 section 10): the configuration form (instant
 * and reserved rooms, unlocking), configuration changes and what they do
 * to the room, and destroying a room.
 */
import { tryParseJID } from '@parley/jid';
import { badRequest, forbidden, notAcceptable, readForm } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Actor, AffiliationChange } from './admin.js';
import { applyAffiliationChange, ownersAfter } from './admin.js';
import type { MucContext } from './muc-context.js';
import { NS_MUC_OWNER } from './ns.js';
import { removeOccupant } from './occupants.js';
import { occupantPresence } from './presence.js';
import { affiliationRank } from './room.js';
import type { Room } from './room.js';
import { applyConfigForm, configForm } from './room-config.js';
import type { RoomConfig } from './room-config.js';

function mustOwn(actor: Actor): void {
  if (actor.affiliation !== 'owner')
    throw forbidden('Only owners may configure or destroy the room');
}

function limits(core: MucContext) {
  return { maxUsers: core.config.muc.maxUsers, maxHistory: core.config.muc.maxHistory };
}

/** `<iq type=get><query xmlns=muc#owner/>`: the configuration form. */
export function ownerGet(core: MucContext, room: Room, actor: Actor): Element {
  mustOwn(actor);
  return xml(
    'query',
    { xmlns: NS_MUC_OWNER },
    configForm(
      room.jid,
      room.config,
      { admins: room.withAffiliation('admin'), owners: room.withAffiliation('owner') },
      limits(core),
    ),
  );
}

/** `<iq type=set><query xmlns=muc#owner>`: a submitted or cancelled form, or `<destroy/>`. */
export async function ownerSet(
  core: MucContext,
  room: Room,
  actor: Actor,
  query: Element,
): Promise<void> {
  mustOwn(actor);
  const destroy = query.getChild('destroy');
  if (destroy) {
    const alt = destroy.attr('jid');
    if (alt !== undefined && !tryParseJID(alt)) throw badRequest(`not a JID: ${alt}`);
    await destroyRoom(core, room, destroy);
    return;
  }
  const x = query.getChildElements().find((c) => c.localName === 'x');
  const form = x ? readForm(x) : undefined;
  if (!form) throw badRequest('Expected a data form or <destroy/>');
  if (form.type === 'cancel') {
    // XEP-0045 10.1.3: cancelling the initial configuration destroys the new room.
    if (room.locked) await destroyRoom(core, room, undefined);
    return;
  }
  if (form.type !== 'submit') throw badRequest('The form must be submitted or cancelled');
  if (form.formType !== undefined && form.formType !== 'http://jabber.org/protocol/muc#roomconfig')
    throw badRequest(`Unknown FORM_TYPE ${form.formType}`);
  const sub = applyConfigForm(room.config, form, limits(core));
  const changes: AffiliationChange[] = [];
  const listChange = (list: string[] | undefined, a: 'admin' | 'owner') => {
    if (list === undefined) return;
    const wanted = new Set<string>();
    for (const j of list) {
      const jid = tryParseJID(j);
      if (!jid) throw notAcceptable(`not a JID: ${j}`);
      wanted.add(jid.toBareString());
    }
    for (const j of wanted)
      if (room.affiliationOf(j) !== a) changes.push({ jid: j, affiliation: a });
    for (const j of room.withAffiliation(a))
      if (!wanted.has(j) && !changes.some((c) => c.jid === j))
        changes.push({ jid: j, affiliation: 'none' });
  };
  listChange(sub.owners, 'owner');
  listChange(sub.admins, 'admin');
  if (changes.length > 0 && ownersAfter(room, changes) === 0)
    throw notAcceptable('A room must keep at least one owner');
  await applyConfig(core, room, sub.config, actor.occupant?.nick);
  for (const c of changes) await applyAffiliationChange(core, room, c, actor.occupant?.nick);
}

/** Applies a new configuration, unlocks the room, tells occupants what changed (XEP-0045 10.2.1). */
export async function applyConfig(
  core: MucContext,
  room: Room,
  next: RoomConfig,
  actorNick: string | undefined,
): Promise<void> {
  const prev = room.config;
  const wasLocked = room.locked;
  room.config = next;
  room.locked = false;
  if (next.historyLength < room.history.length) {
    room.history = room.history.slice(room.history.length - next.historyLength);
    core.mirrorHistoryTrim(room);
  }
  await core.save(room);
  if (wasLocked) return; // configuring a new room notifies nobody else
  const codes: number[] = [];
  if (prev.whois !== next.whois) codes.push(next.whois === 'anyone' ? 172 : 173);
  if (prev.logging !== next.logging) codes.push(next.logging ? 170 : 171);
  codes.push(104);
  core.statusMessage(room, codes);
  if (next.membersOnly && !prev.membersOnly) {
    // XEP-0045 9.3: non-members leave a room that became members-only (322).
    for (const o of [...room.occupants.values()]) {
      if (affiliationRank(room.affiliationOf(o.bare)) < affiliationRank('member'))
        removeOccupant(core, room, o, {
          codes: [322],
          ...(actorNick !== undefined ? { actor: actorNick } : {}),
        });
    }
  }
  await core.roomEmptied(room);
}

/**
 * XEP-0045 10.9: every occupant gets unavailable presence carrying
 * `<destroy/>` (with the alternate venue and reason the owner gave), then
 * the room and everything stored for it are gone.
 */
export async function destroyRoom(
  core: MucContext,
  room: Room,
  destroy: Element | undefined,
): Promise<void> {
  const d = xml('destroy', { jid: destroy?.attr('jid') });
  const reason = destroy?.getChildText('reason');
  if (reason) d.c('reason').t(reason);
  const password = destroy?.getChildText('password');
  if (password) d.c('password').t(password);
  for (const o of [...room.occupants.values()]) {
    for (const s of o.sessions) {
      const p = occupantPresence(
        room,
        o,
        s.jid,
        o.role,
        true,
        { type: 'unavailable', affiliation: 'none', role: 'none', destroy: d },
        undefined,
      );
      core.send(p);
    }
    room.removeOccupant(o);
  }
  await core.destroyState(room);
}
