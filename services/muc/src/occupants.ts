/**
 * Presence to occupant JIDs (XEP-0045 sections 7.2 to 7.7 and 10.1):
 * entering (and creating) a room, presence changes, nickname changes,
 * exiting, and removing occupants whose sessions are gone.
 */
import type { JID } from '@parley/jid';
import {
  NS_DELAY,
  NS_STANZAS,
  conflict,
  forbidden,
  itemNotFound,
  jidMalformed,
  notAllowed,
  notAuthorized,
  registrationRequired,
  serviceUnavailable,
} from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucContext } from './muc-context.js';
import { readHistoryRequest, selectHistory } from './history.js';
import { NS_MUC, NS_MUC_USER } from './ns.js';
import type { PresenceOpts } from './presence.js';
import {
  broadcastPresence,
  cleanPresence,
  occupantPresence,
  sendOccupantList,
} from './presence.js';
import { affiliationRank } from './room.js';
import { secretEquals } from './secret.js';
import type { Occupant, Room } from './room.js';

/** Error conditions that mean an occupant's session is gone (delivery failures). */
const GONE_CONDITIONS = new Set([
  'gone',
  'item-not-found',
  'jid-malformed',
  'recipient-unavailable',
  'redirect',
  'remote-server-not-found',
  'remote-server-timeout',
  'service-unavailable',
]);

/** A presence addressed to a room or occupant JID. */
export async function handlePresence(
  core: MucContext,
  el: Element,
  from: JID,
  to: JID,
): Promise<void> {
  const type = el.attr('type') ?? '';
  const roomJid = to.toBareString();
  if (type === 'error') return ghost(core, roomJid, from.toString(), el);
  if (type === 'unavailable') return leave(core, roomJid, from.toString(), el);
  if (type !== '') return; // subscriptions and probes: rooms have no roster
  if (!to.resource) {
    // XEP-0045 7.2.1: entering needs a nickname.
    core.replyError(el, jidMalformed('A nickname is required to enter a room'));
    return;
  }
  const nick = to.resource;
  if (nick.trim() === '') {
    core.replyError(el, jidMalformed('The nickname must not be only spaces'));
    return;
  }
  const room = await core.getRoom(roomJid);
  const occ = room?.occupantByJid(from.toString());
  if (room && occ) {
    if (occ.nick === nick) return updatePresence(core, room, occ, from.toString(), el);
    return changeNick(core, room, occ, from.toString(), nick, el);
  }
  return join(core, room, roomJid, from, nick, el);
}

function refuse(core: MucContext, el: Element, err: StanzaError): void {
  core.replyError(el, err);
}

async function join(
  core: MucContext,
  existing: Room | undefined,
  roomJid: string,
  from: JID,
  nick: string,
  el: Element,
): Promise<void> {
  const bare = from.toBareString();
  const full = from.toString();
  const mucX = el.getChild('x', NS_MUC);
  let room = existing;
  let created = false;
  if (!room) {
    if (!core.isLocalUser(bare)) {
      return refuse(core, el, notAllowed('Only users of this server may create rooms'));
    }
    const max = core.config.muc.maxRoomsPerUser;
    if (max > 0 && !core.admins.has(bare) && (await core.stateStore.ownedCount(bare)) >= max) {
      return refuse(core, el, notAllowed(`You may not create more than ${max} rooms`));
    }
    room = core.newRoom(roomJid, bare, mucX !== undefined && core.config.muc.lockNewRooms);
    created = true;
    await core.stateStore
      .addOwned(bare, roomJid)
      .catch((err: unknown) => core.logger.warn('muc: owned-rooms index write failed', { err }));
  } else {
    // Every reason the entrant may not enter at all comes first (XEP-0045 7.2 gives
    // these refusals before the nickname conflict): answering `conflict` earlier would
    // tell an outsider which nicknames are in the room (or reserved by its members).
    const aff = room.affiliationOf(bare);
    if (room.locked && aff !== 'owner') {
      return refuse(core, el, itemNotFound('The room is locked until its owner configures it'));
    }
    if (aff === 'outcast') return refuse(core, el, forbidden('You are banned from this room'));
    if (room.config.membersOnly && affiliationRank(aff) < affiliationRank('member')) {
      return refuse(core, el, registrationRequired('This room is for members only'));
    }
    if (room.config.passwordProtected && aff !== 'owner' && aff !== 'admin') {
      const given = mucX?.getChildText('password');
      if (!secretEquals(given, room.config.password)) {
        return refuse(core, el, notAuthorized('A password is required to enter this room'));
      }
    }
    // Only an entrant who could enter learns that the nickname is taken.
    const holder = room.occupants.get(nick);
    if (holder && holder.bare !== bare) {
      return refuse(core, el, conflict('That nickname is already in use'));
    }
    const reservedBy = room.nickReservedBy(nick);
    if (reservedBy !== undefined && reservedBy !== bare) {
      return refuse(core, el, conflict('That nickname is reserved by another member'));
    }
    if (
      !holder &&
      room.occupantCount >= room.config.maxUsers &&
      aff !== 'owner' &&
      aff !== 'admin'
    ) {
      return refuse(core, el, serviceUnavailable('The room is full', { type: 'wait' }));
    }
  }

  const session = { jid: full, presence: cleanPresence(el) };
  let occ = room.occupants.get(nick);
  if (occ) room.addSession(occ, session);
  else {
    occ = { nick, bare, role: room.defaultRole(room.affiliationOf(bare)), sessions: [session] };
    room.addOccupant(occ);
  }
  core.busy(room);
  if (created) await core.save(room);
  core.mirrorOccupant(room, occ);

  // 1. Everyone already there, to the new session; 2. the new presence to the others;
  // 3. the self-presence last (XEP-0045 7.2.3).
  sendOccupantList(core, room, occ, full);
  const selfCodes: number[] = [];
  if (room.config.whois === 'anyone') selfCodes.push(100);
  if (room.config.logging) selfCodes.push(170);
  if (created) selfCodes.push(201);
  const opts: PresenceOpts = { selfCodes, skip: full };
  // Other sessions of a multi-session occupant see the update as their own presence.
  broadcastPresence(core, room, occ, opts);
  core.send(
    occupantPresence(room, occ, full, occ.role, true, { selfCodes }, parseXml(session.presence)),
  );
  // 4. discussion history, 5. the subject (always, even empty: clients wait for it).
  if (!created) sendHistory(core, room, full, mucX?.getChild('history'));
  sendSubject(core, room, full);
}

function sendHistory(core: MucContext, room: Room, to: string, history: Element | undefined): void {
  const entries = selectHistory(
    room.history,
    room.config.historyLength,
    readHistoryRequest(history),
    Date.now(),
    (e) => e.xml.length,
  );
  for (const e of entries) {
    let m: Element;
    try {
      m = parseXml(e.xml);
    } catch {
      continue;
    }
    m.setAttr('to', to);
    m.append(
      xml('delay', { xmlns: NS_DELAY, from: room.jid, stamp: new Date(e.ts).toISOString() }),
    );
    core.send(m);
  }
}

export function sendSubject(core: MucContext, room: Room, to: string): void {
  const s = room.subject;
  const m = xml('message', {
    type: 'groupchat',
    from: s && s.nick ? `${room.jid}/${s.nick}` : room.jid,
    to,
  });
  m.c('subject').t(s?.text ?? '');
  if (s) m.c('delay', { xmlns: NS_DELAY, from: room.jid, stamp: new Date(s.ts).toISOString() });
  core.send(m);
}

/** A new presence (show, status...) from an occupant's session (XEP-0045 7.4). */
function updatePresence(
  core: MucContext,
  room: Room,
  occ: Occupant,
  full: string,
  el: Element,
): void {
  room.addSession(occ, { jid: full, presence: cleanPresence(el) }); // now the latest session
  core.mirrorOccupant(room, occ);
  broadcastPresence(core, room, occ, {});
}

/** XEP-0045 7.6: the whole occupant (every session) takes the new nickname. */
function changeNick(
  core: MucContext,
  room: Room,
  occ: Occupant,
  full: string,
  nick: string,
  el: Element,
): void {
  const holder = room.occupants.get(nick);
  if (holder && holder !== occ) {
    core.replyError(el, conflict('That nickname is already in use'));
    return;
  }
  const reservedBy = room.nickReservedBy(nick);
  if (reservedBy !== undefined && reservedBy !== occ.bare) {
    core.replyError(el, conflict('That nickname is reserved by another member'));
    return;
  }
  const old = occ.nick;
  broadcastPresence(core, room, occ, { type: 'unavailable', nick, codes: [303] });
  core.mirrorOccupantGone(room, old);
  room.rename(occ, nick);
  room.addSession(occ, { jid: full, presence: cleanPresence(el) });
  core.mirrorOccupant(room, occ);
  broadcastPresence(core, room, occ, {});
}

/** Unavailable presence from a session: it exits the room (XEP-0045 7.14). */
async function leave(core: MucContext, roomJid: string, full: string, el: Element): Promise<void> {
  const room = core.rooms.get(roomJid);
  const occ = room?.occupantByJid(full);
  if (!room || !occ) return; // not in the room (a second unavailable, or never joined)
  const content = xml('presence');
  const status = el.getChild('status');
  if (status) content.append(status.clone());
  await removeSession(core, room, occ, full, { content });
}

/**
 * Removes one session of an occupant: it gets its unavailable
 * self-presence; if the occupant has no session left everyone sees it go,
 * otherwise the others see the remaining session's presence.
 */
export async function removeSession(
  core: MucContext,
  room: Room,
  occ: Occupant,
  full: string,
  opts: PresenceOpts,
): Promise<void> {
  const before = occ.role;
  const remaining = room.removeSession(full);
  const unavailable: PresenceOpts = { ...opts, type: 'unavailable', role: 'none' };
  if (remaining) {
    core.send(occupantPresence(room, occ, full, occ.role, true, unavailable, opts.content));
    core.mirrorOccupant(room, occ);
    broadcastPresence(core, room, occ, {});
    return;
  }
  broadcastPresence(core, room, occ, unavailable, [full], before);
  core.mirrorOccupantGone(room, occ.nick);
  await core.roomEmptied(room);
}

/**
 * Removes an occupant with all its sessions (kick 307, ban 301, 321, 322,
 * 332...): every session gets the unavailable self-presence, the room
 * sees it leave. Does not empty-check the room (callers do).
 */
export function removeOccupant(
  core: MucContext,
  room: Room,
  occ: Occupant,
  opts: PresenceOpts,
): void {
  const before = occ.role;
  const sessions = occ.sessions.map((s) => s.jid);
  room.removeOccupant(occ);
  core.mirrorOccupantGone(room, occ.nick);
  broadcastPresence(
    core,
    room,
    occ,
    { ...opts, type: 'unavailable', role: 'none' },
    sessions,
    before,
  );
}

/**
 * An error from an occupant's real JID (a groupchat message or presence
 * that could not be delivered): the session is gone, remove it with
 * status 333 so nobody talks to a ghost.
 */
export async function ghost(
  core: MucContext,
  roomJid: string,
  full: string,
  el: Element,
): Promise<void> {
  const room = core.rooms.get(roomJid);
  const occ = room?.occupantByJid(full);
  if (!room || !occ) return;
  const condition = el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.getNS() === NS_STANZAS && c.localName !== 'text')?.localName;
  if (condition !== undefined && !GONE_CONDITIONS.has(condition)) return;
  core.logger.debug('muc: removing an unreachable occupant session', { room: roomJid, full });
  await removeSession(core, room, occ, full, { codes: [333] });
}

/** The muc#user `<x/>` of a stanza, if any. */
export function mucUserX(el: Element): Element | undefined {
  return el.getChild('x', NS_MUC_USER);
}
