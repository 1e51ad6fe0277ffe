/**
 * IQs to the service, to rooms and to occupants: service discovery,
 * muc#admin and muc#owner, the room's vCard (XEP-0054/XEP-0486), its
 * message archive (XEP-0313), self-ping (XEP-0410) and IQs forwarded
 * between occupants.
 */
import { createHash } from 'node:crypto';
import type { JID } from '@parley/jid';
import { parseQuery, queryArchive, queryForm, resultMessage } from '@parley/mam';
import {
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_PING,
  StanzaError,
  badRequest,
  errorReply,
  forbidden,
  internalServerError,
  iqResult,
  itemNotFound,
  notAcceptable,
  serviceUnavailable,
} from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { actorOf, adminGet, adminSet } from './admin.js';
import type { MucCore } from './core.js';
import { roomInfo, roomItems, serviceInfo, serviceItems, uniqueName } from './disco.js';
import { NS_MAM, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_UNIQUE, NS_VCARD } from './ns.js';
import { ownerGet, ownerSet } from './owner.js';
import { affiliationRank } from './room.js';
import type { Room } from './room.js';

type Handler = () => Promise<Element | void> | Element | void;

/** Runs a handler and answers the IQ with its result or error. */
async function answer(core: MucCore, iq: Element, run: Handler): Promise<void> {
  let payload: Element | void;
  try {
    payload = await run();
  } catch (err) {
    if (err instanceof StanzaError) core.send(errorReply(iq, err));
    else {
      core.logger.error('muc iq handler failed', { err });
      core.send(errorReply(iq, internalServerError()));
    }
    return;
  }
  core.send(iqResult(iq, payload ?? undefined));
}

export async function handleIq(core: MucCore, iq: Element, from: JID, to: JID): Promise<void> {
  const type = iq.attr('type');
  if (to.local === '') return serviceIq(core, iq, to.domain, type);
  if (to.resource) return occupantIq(core, iq, from, to, type);
  if (type !== 'get' && type !== 'set') return; // results and errors to a room end here
  const payload = iq.getChildElements()[0];
  const ns = payload?.getNS();
  const room = await core.getRoom(to.toBareString());
  const bare = from.toBareString();
  if (!room || (room.locked && room.affiliationOf(bare) !== 'owner')) {
    core.send(errorReply(iq, itemNotFound('No such room')));
    return;
  }
  if (!payload) {
    core.send(errorReply(iq, badRequest('An IQ needs a payload')));
    return;
  }
  const actor = actorOf(room, from);
  const key = `${type} ${ns}`;
  switch (key) {
    case `get ${NS_DISCO_INFO}`:
      return answer(core, iq, () => roomInfo(room, payload.attr('node'), bare));
    case `get ${NS_DISCO_ITEMS}`:
      return answer(core, iq, () => roomItems(payload));
    case `get ${NS_MUC_ADMIN}`:
      return answer(core, iq, () => adminGet(room, actor, payload));
    case `set ${NS_MUC_ADMIN}`:
      return answer(core, iq, () => adminSet(core, room, actor, payload));
    case `get ${NS_MUC_OWNER}`:
      return answer(core, iq, () => ownerGet(core, room, actor));
    case `set ${NS_MUC_OWNER}`:
      return answer(core, iq, () => ownerSet(core, room, actor, payload));
    case `get ${NS_VCARD}`:
      return answer(core, iq, () => vcardGet(core, room));
    case `set ${NS_VCARD}`:
      return answer(core, iq, () => vcardSet(core, room, actor.affiliation, payload));
    case `get ${NS_MAM}`:
      return answer(core, iq, () => queryForm());
    case `set ${NS_MAM}`:
      return mamQuery(core, room, iq, payload, from);
    case `get ${NS_PING}`:
      return answer(core, iq, () => undefined);
    default:
      core.send(errorReply(iq, serviceUnavailable()));
  }
}

async function serviceIq(
  core: MucCore,
  iq: Element,
  domain: string,
  type: string | undefined,
): Promise<void> {
  if (type !== 'get' && type !== 'set') return;
  const payload = iq.getChildElements()[0];
  const key = `${type} ${payload?.getNS()}`;
  switch (key) {
    case `get ${NS_DISCO_INFO}`:
      return answer(core, iq, () => serviceInfo(core, payload!.attr('node')));
    case `get ${NS_DISCO_ITEMS}`:
      return answer(core, iq, () => serviceItems(core, domain, payload!));
    case `get ${NS_MUC_UNIQUE}`:
      return answer(core, iq, () => uniqueName(core));
    case `get ${NS_PING}`:
      return answer(core, iq, () => undefined);
    default:
      core.send(errorReply(iq, serviceUnavailable()));
  }
}

/**
 * An IQ to an occupant JID. Its own ping is answered by the room
 * (XEP-0410); other requests are forwarded to the occupant (a vCard
 * request to its bare JID, XEP-0045 7.2.x) from the requester's occupant
 * JID, and the answer is mapped back.
 */
async function occupantIq(
  core: MucCore,
  iq: Element,
  from: JID,
  to: JID,
  type: string | undefined,
): Promise<void> {
  const room = core.rooms.get(to.toBareString());
  if (type === 'result' || type === 'error') {
    const pending = core.takeIq(iq.attr('id') ?? '');
    if (!pending || !room || pending.room !== room.jid) return;
    const target = room.occupants.get(pending.nick);
    // The answer must come from the occupant that was asked.
    if (!target || target.bare !== from.toBareString()) return;
    const reply = iq.clone();
    reply.setAttr('from', `${room.jid}/${pending.nick}`);
    reply.setAttr('to', pending.requester);
    reply.setAttr('id', pending.id);
    core.send(reply);
    return;
  }
  if (type !== 'get' && type !== 'set') return;
  const sender = room?.occupantByJid(from.toString());
  if (!room || !sender) {
    const by = to.toBareString();
    core.send(errorReply(iq, notAcceptable('You are not an occupant of this room', { by })));
    return;
  }
  const target = room.occupants.get(to.resource);
  const payload = iq.getChildElements()[0];
  if (payload?.is('ping', NS_PING) && (target === sender || target?.bare === sender.bare)) {
    core.send(iqResult(iq)); // XEP-0410: still joined
    return;
  }
  if (!target) {
    core.send(errorReply(iq, itemNotFound(`No occupant ${to.resource}`)));
    return;
  }
  const vcard = type === 'get' && payload?.is('vCard', NS_VCARD);
  const dest = vcard ? target.bare : target.sessions[target.sessions.length - 1]?.jid;
  if (!dest) return;
  const id = core.rememberIq({
    room: room.jid,
    requester: from.toString(),
    id: iq.attr('id'),
    nick: target.nick,
  });
  const fwd = iq.clone();
  fwd.setAttr('from', `${room.jid}/${sender.nick}`);
  fwd.setAttr('to', dest);
  fwd.setAttr('id', id);
  core.send(fwd);
}

/* ------------------------------------------------------------- vCard */

async function vcardGet(core: MucCore, room: Room): Promise<Element> {
  const stored = await core.stores.vcards.get(room.jid);
  if (stored) {
    try {
      return parseXml(stored);
    } catch {
      // fall through to an empty vCard
    }
  }
  return xml('vCard', { xmlns: NS_VCARD });
}

/** XEP-0486: owners set the room's vCard; its photo hashes go into disco#info, occupants hear 104. */
async function vcardSet(
  core: MucCore,
  room: Room,
  affiliation: string,
  vcard: Element,
): Promise<void> {
  if (affiliation !== 'owner') throw forbidden('Only owners may set the room vCard');
  if (!vcard.is('vCard', NS_VCARD)) throw badRequest();
  const hashes: string[] = [];
  for (const photo of vcard.getChildren('PHOTO')) {
    const bin = photo.getChildText('BINVAL')?.replace(/\s+/g, '');
    if (bin) hashes.push(createHash('sha1').update(Buffer.from(bin, 'base64')).digest('hex'));
  }
  if (vcard.getChildElements().length === 0) await core.stores.vcards.delete(room.jid);
  else await core.stores.vcards.set(room.jid, vcard.toString());
  const changed = hashes.join() !== room.avatar.join();
  room.avatar = hashes;
  await core.save(room);
  if (changed) core.statusMessage(room, [104]);
}

/* --------------------------------------------------------------- MAM */

/** XEP-0313 on a room: its occupants (members, for members-only rooms) may read the archive. */
async function mamQuery(
  core: MucCore,
  room: Room,
  iq: Element,
  query: Element,
  from: JID,
): Promise<void> {
  await answer(core, iq, async () => {
    const aff = room.affiliationOf(from.toBareString());
    const present = room.occupantByJid(from.toString()) !== undefined;
    if (aff === 'outcast') throw forbidden('You are banned from this room');
    if (room.config.membersOnly && !present && affiliationRank(aff) < affiliationRank('member'))
      throw forbidden('Only members may read the archive of this room');
    if (!room.config.logging) throw serviceUnavailable('This room is not archived');
    const q = parseQuery(query);
    const res = await queryArchive(core.stores.archive, room.jid, q, {
      maxPageSize: core.config.muc.mamMaxPageSize,
      defaultPageSize: core.config.muc.mamDefaultPageSize,
    });
    for (const r of res.results) core.send(resultMessage(r, room.jid, from.toString()));
    return res.fin;
  });
}
