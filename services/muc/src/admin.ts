/**
 * Roles and affiliations (XEP-0045 sections 8, 9 and 10): the muc#admin
 * lists and changes, the rules about who may change what, and what a
 * change does to occupants who are present (kick 307, ban 301, removal
 * from a members-only room 321, new roles broadcast).
 */
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { badRequest, conflict, forbidden, itemNotFound, notAllowed } from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucContext } from './muc-context.js';
import { NS_MUC_ADMIN } from './ns.js';
import { broadcastPresence, sendOccupantList } from './presence.js';
import { removeOccupant } from './occupants.js';
import { affiliationRank } from './room.js';
import type { Occupant, Room } from './room.js';
import { AFFILIATIONS, ROLES } from './room-config.js';
import type { Affiliation, Role } from './room-config.js';

/** Who asks: the real JID, its affiliation, and its occupant if present. */
export interface Actor {
  bare: string;
  affiliation: Affiliation;
  occupant: Occupant | undefined;
}

export function actorOf(room: Room, from: JID): Actor {
  const bare = from.toBareString();
  return {
    bare,
    affiliation: room.affiliationOf(bare),
    occupant: room.occupantByJid(from.toString()),
  };
}

const isPrivileged = (a: Affiliation) => a === 'owner' || a === 'admin';

/* ----------------------------------------------------------------- roles */

export interface RoleChange {
  occupant: Occupant;
  role: Role;
  reason?: string;
}

/** Checks a role change (XEP-0045 8.2-8.6, 9.6-9.7); returns the error that forbids it. */
export function checkRoleChange(
  room: Room,
  actor: Actor,
  target: Occupant,
  role: Role,
): StanzaError | undefined {
  const actorRole = actor.occupant?.role;
  const targetAff = room.affiliationOf(target.bare);
  if (role === 'moderator' || target.role === 'moderator') {
    // Granting or revoking moderator status is an admin use case.
    if (!isPrivileged(actor.affiliation))
      return forbidden('Only admins and owners may change moderators');
    if (role !== 'moderator' && isPrivileged(targetAff))
      return notAllowed('An admin or owner stays moderator');
    return undefined;
  }
  if (actorRole !== 'moderator' && !isPrivileged(actor.affiliation))
    return forbidden('Only moderators may change roles');
  if (role === 'none') {
    if (isPrivileged(targetAff)) return notAllowed('Admins and owners cannot be kicked');
    if (affiliationRank(targetAff) > affiliationRank(actor.affiliation))
      return notAllowed('You cannot kick an occupant with a higher affiliation');
    if (actor.occupant === target) return conflict('You cannot kick yourself');
  }
  if (role === 'visitor' && isPrivileged(targetAff))
    return notAllowed('Admins and owners cannot lose their voice');
  return undefined;
}

/** Applies a checked role change and tells the room. */
export async function applyRoleChange(
  core: MucContext,
  room: Room,
  change: RoleChange,
  actorNick: string | undefined,
): Promise<void> {
  const o = change.occupant;
  if (!room.occupants.has(o.nick)) return;
  if (change.role === 'none') {
    removeOccupant(core, room, o, {
      codes: [307],
      ...(actorNick !== undefined ? { actor: actorNick } : {}),
      ...(change.reason ? { reason: change.reason } : {}),
    });
    await core.roomEmptied(room);
    return;
  }
  if (o.role === change.role) return;
  const before = o.role;
  o.role = change.role;
  core.mirrorOccupant(room, o);
  broadcastPresence(core, room, o, {
    ...(actorNick !== undefined ? { actor: actorNick } : {}),
    ...(change.reason ? { reason: change.reason } : {}),
  });
  revealJids(core, room, o, before);
}

/** A new moderator of a semi-anonymous room gets everyone's presence again, now with real JIDs. */
function revealJids(core: MucContext, room: Room, o: Occupant, before: Role): void {
  if (o.role !== 'moderator' || before === 'moderator' || room.showsJidsTo(before)) return;
  for (const s of o.sessions) sendOccupantList(core, room, o, s.jid);
}

/* ----------------------------------------------------------- affiliations */

export interface AffiliationChange {
  jid: string;
  affiliation: Affiliation;
  reason?: string;
  nick?: string;
}

/** Checks an affiliation change (XEP-0045 9.1-9.8, 10.3-10.7). */
export function checkAffiliationChange(
  room: Room,
  actor: Actor,
  change: AffiliationChange,
): StanzaError | undefined {
  if (!isPrivileged(actor.affiliation))
    return forbidden('Only admins and owners may change affiliations');
  const current = room.affiliationOf(change.jid);
  if (actor.affiliation === 'admin') {
    if (isPrivileged(current))
      return notAllowed('An admin cannot change the affiliation of an admin or owner');
    if (isPrivileged(change.affiliation))
      return forbidden('Only owners may grant admin or owner status');
  }
  if (isServiceAdmin(room, change.jid) && change.affiliation !== 'owner')
    return notAllowed('A service administrator is an owner of every room');
  return undefined;
}

function isServiceAdmin(room: Room, jid: string): boolean {
  return room.affiliationOf(jid) === 'owner' && !room.affiliations.has(jid);
}

/** The owners left after some changes; an owner may not remove the last one (conflict). */
export function ownersAfter(room: Room, changes: readonly AffiliationChange[]): number {
  const owners = new Set(room.withAffiliation('owner'));
  for (const c of changes) {
    if (c.affiliation === 'owner') owners.add(c.jid);
    else owners.delete(c.jid);
  }
  return owners.size;
}

/**
 * Applies an affiliation and what follows for that JID's occupants:
 * banned ones are removed (301), non-members leave a members-only room
 * (321), the others get the role the new affiliation gives and the room
 * sees it.
 */
export async function applyAffiliationChange(
  core: MucContext,
  room: Room,
  change: AffiliationChange,
  actorNick: string | undefined,
): Promise<void> {
  const before = room.affiliationOf(change.jid);
  const reserved =
    change.nick ?? (change.affiliation === 'member' ? room.reservedNickOf(change.jid) : undefined);
  room.setAffiliation(change.jid, change.affiliation, change.reason, reserved);
  await core.saveAffiliation(room, change.jid);
  const extra = {
    ...(actorNick !== undefined ? { actor: actorNick } : {}),
    ...(change.reason ? { reason: change.reason } : {}),
  };
  const now = room.affiliationOf(change.jid);
  for (const o of room.occupantsOf(change.jid)) {
    if (now === 'outcast') {
      removeOccupant(core, room, o, { ...extra, codes: [301], affiliation: 'outcast' });
      continue;
    }
    if (room.config.membersOnly && affiliationRank(now) < affiliationRank('member')) {
      removeOccupant(core, room, o, { ...extra, codes: [321], affiliation: now });
      continue;
    }
    if (before === now) continue;
    const roleBefore = o.role;
    o.role = roleAfter(room, o.role, before, now);
    core.mirrorOccupant(room, o);
    broadcastPresence(core, room, o, extra);
    revealJids(core, room, o, roleBefore);
  }
  await core.roomEmptied(room);
}

function roleAfter(room: Room, role: Role, before: Affiliation, now: Affiliation): Role {
  if (isPrivileged(now)) return 'moderator';
  if (isPrivileged(before) && role === 'moderator') return room.defaultRole(now);
  if (now === 'member' && role === 'visitor') return 'participant';
  return role;
}

/* ------------------------------------------------------------- the IQs */

function listItem(room: Room, jid: string): Element {
  const e = room.affiliations.get(jid);
  return xml('item', { affiliation: e?.affiliation ?? 'none', jid, nick: e?.nick });
}

/** `<iq type=get><query xmlns=muc#admin><item affiliation|role/></query>` */
export function adminGet(room: Room, actor: Actor, query: Element): Element {
  const item = query.getChild('item');
  const aff = item?.attr('affiliation');
  const role = item?.attr('role');
  const result = xml('query', { xmlns: NS_MUC_ADMIN });
  if (aff !== undefined) {
    if (!AFFILIATIONS.includes(aff as Affiliation) || aff === 'none')
      throw badRequest(`unknown affiliation: ${aff}`);
    const mayList =
      isPrivileged(actor.affiliation) ||
      (aff === 'member' &&
        actor.occupant !== undefined &&
        room.config.getMemberList.includes(actor.occupant.role));
    if (!mayList) throw forbidden('You may not retrieve this list');
    for (const jid of room.withAffiliation(aff as Exclude<Affiliation, 'none'>))
      result.append(listItem(room, jid));
    return result;
  }
  if (role !== undefined) {
    if (!ROLES.includes(role as Role) || role === 'none') throw badRequest(`unknown role: ${role}`);
    if (actor.occupant?.role !== 'moderator')
      throw forbidden('Only moderators may retrieve role lists');
    for (const o of room.occupants.values()) {
      if (o.role !== role) continue;
      result.c('item', {
        nick: o.nick,
        role: o.role,
        affiliation: room.affiliationOf(o.bare),
        jid: o.sessions[o.sessions.length - 1]?.jid,
      });
    }
    return result;
  }
  throw badRequest('The query needs an item with an affiliation or a role');
}

/**
 * `<iq type=set><query xmlns=muc#admin><item .../>...</query>`: every item
 * is checked first, then all are applied (all or nothing).
 */
export async function adminSet(
  core: MucContext,
  room: Room,
  actor: Actor,
  query: Element,
): Promise<void> {
  const items = query.getChildren('item');
  if (items.length === 0) throw badRequest('No item to change');
  const roles: RoleChange[] = [];
  const affs: AffiliationChange[] = [];
  for (const item of items) {
    const reason = item.getChildText('reason')?.trim() || undefined;
    const role = item.attr('role');
    const aff = item.attr('affiliation');
    if (aff !== undefined) {
      if (!AFFILIATIONS.includes(aff as Affiliation))
        throw badRequest(`unknown affiliation: ${aff}`);
      let jid: string | undefined;
      const jidAttr = item.attr('jid');
      if (jidAttr !== undefined) {
        const parsed = tryParseJID(jidAttr);
        if (!parsed) throw badRequest(`not a JID: ${jidAttr}`);
        jid = parsed.toBareString();
      } else {
        const nick = item.attr('nick');
        const o = nick !== undefined ? room.occupants.get(nick) : undefined;
        if (!o)
          throw nick === undefined
            ? badRequest('The item needs a jid')
            : itemNotFound(`No occupant ${nick}`);
        jid = o.bare;
      }
      const change: AffiliationChange = { jid, affiliation: aff as Affiliation };
      if (reason) change.reason = reason;
      const nick = jidAttr !== undefined ? item.attr('nick') : undefined;
      if (nick) change.nick = nick;
      const err = checkAffiliationChange(room, actor, change);
      if (err) throw err;
      affs.push(change);
    } else if (role !== undefined) {
      if (!ROLES.includes(role as Role)) throw badRequest(`unknown role: ${role}`);
      const nick = item.attr('nick');
      if (nick === undefined) throw badRequest('A role change needs a nick');
      const o = room.occupants.get(nick);
      if (!o) throw itemNotFound(`No occupant ${nick}`);
      const err = checkRoleChange(room, actor, o, role as Role);
      if (err) throw err;
      const change: RoleChange = { occupant: o, role: role as Role };
      if (reason) change.reason = reason;
      roles.push(change);
    } else throw badRequest('An item needs an affiliation or a role');
  }
  if (affs.length > 0 && ownersAfter(room, affs) === 0)
    throw conflict('A room must keep at least one owner');
  const actorNick = actor.occupant?.nick;
  for (const c of affs) await applyAffiliationChange(core, room, c, actorNick);
  for (const c of roles) await applyRoleChange(core, room, c, actorNick);
}
