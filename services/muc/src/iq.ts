/**
 * IQs to the service, to rooms and to occupants. What a room or the
 * service answers is up to the modules (src/modules): this file finds the
 * handler a module registered for the IQ's type and namespace, and keeps
 * the error rules every handler shares. IQs between occupants are
 * forwarded here, from the asker's occupant JID.
 */
import type { JID } from '@parley/jid';
import {
  StanzaError,
  badRequest,
  errorReply,
  internalServerError,
  iqResult,
  itemNotFound,
  notAcceptable,
  serviceUnavailable,
} from '@parley/stanza';
import type { Element } from '@parley/xml';
import { actorOf } from './admin.js';
import type { MucContext } from './muc-context.js';
import type { MucModules } from './modules/host.js';
import { iqKey } from './modules/host.js';
import { NS_VCARD } from './ns.js';

type Handler = () => Promise<Element | void> | Element | void;

/** Runs a handler and answers the IQ with its result or error. */
async function answer(core: MucContext, iq: Element, run: Handler): Promise<void> {
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

/**
 * An IQ to a room: item-not-found when the room does not exist or is
 * locked (unless the owner asks), bad-request without a payload,
 * service-unavailable when no module handles its type and namespace.
 */
export async function handleIq(
  core: MucContext,
  modules: MucModules,
  iq: Element,
  from: JID,
  to: JID,
): Promise<void> {
  const type = iq.attr('type');
  if (to.local === '') return serviceIq(core, modules, iq, from, to, type);
  if (to.resource) return occupantIq(core, modules, iq, from, to, type);
  if (type !== 'get' && type !== 'set') return; // results and errors to a room end here
  const payload = iq.getChildElements()[0];
  const room = await core.getRoom(to.toBareString());
  if (!room || (room.locked && room.affiliationOf(from.toBareString()) !== 'owner')) {
    core.send(errorReply(iq, itemNotFound('No such room')));
    return;
  }
  if (!payload) {
    core.send(errorReply(iq, badRequest('An IQ needs a payload')));
    return;
  }
  const handler = modules.roomIqs.get(iqKey(type, payload.getNS()));
  if (!handler) {
    core.send(errorReply(iq, serviceUnavailable()));
    return;
  }
  const actor = actorOf(room, from);
  return answer(core, iq, () => handler({ room, actor, payload, iq, from, to }));
}

/** An IQ to the service JID: service-unavailable without a payload or a module handling it. */
async function serviceIq(
  core: MucContext,
  modules: MucModules,
  iq: Element,
  from: JID,
  to: JID,
  type: string | undefined,
): Promise<void> {
  if (type !== 'get' && type !== 'set') return;
  const payload = iq.getChildElements()[0];
  const handler = payload ? modules.serviceIqs.get(iqKey(type, payload.getNS())) : undefined;
  if (!payload || !handler) {
    core.send(errorReply(iq, serviceUnavailable()));
    return;
  }
  return answer(core, iq, () => handler({ payload, iq, from, to }));
}

/**
 * An IQ to an occupant JID. What an occupant sends to itself is answered
 * by the room when a module handles it (XEP-0410 self-ping); other
 * requests are forwarded to the occupant (a vCard request to its bare
 * JID, XEP-0045 7.2.x) from the requester's occupant JID, and the answer
 * is mapped back.
 */
async function occupantIq(
  core: MucContext,
  modules: MucModules,
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
  if (payload && (target === sender || target?.bare === sender.bare)) {
    const self = modules.selfIqs.get(iqKey(type, payload.getNS()));
    if (self) {
      return answer(core, iq, () => self({ room, occupant: sender, payload, iq, from, to }));
    }
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
