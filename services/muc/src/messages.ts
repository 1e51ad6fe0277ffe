/**
 * Messages to a room or occupant (XEP-0045 7.4, 7.5, 7.8, 7.13, 8.1):
 * groupchat fan-out with stanza-id and occupant-id (archived and kept as
 * history), subject changes, private messages, mediated invitations and
 * declines, voice requests.
 */
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { dedupeKey, setStanzaId, stripStanzaIds } from '@parley/mam';
import type { Envelope } from '@parley/routing';
import {
  badRequest,
  buildForm,
  findForm,
  forbidden,
  itemNotFound,
  notAcceptable,
  parseBoolean,
} from '@parley/stanza';
import { newArchiveId } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Actor } from './admin.js';
import { actorOf, applyAffiliationChange, applyRoleChange, checkRoleChange } from './admin.js';
import type { MucContext } from './muc-context.js';
import { NS_CHATSTATES, NS_HINTS, NS_MUC_REQUEST, NS_MUC_USER, NS_OCCUPANT_ID } from './ns.js';
import { ghost } from './occupants.js';
import { affiliationRank } from './room.js';
import type { Occupant, Room } from './room.js';

/** Payloads that make a groupchat message worth keeping without a body (end-to-end encryption, reactions...). */
const KEPT_WITHOUT_BODY = new Set([
  'eu.siacs.conversations.axolotl',
  'urn:xmpp:omemo:2',
  'urn:xmpp:openpgp:0',
  'urn:xmpp:reactions:0',
  'urn:xmpp:message-retract:1',
  'urn:xmpp:message-moderate:1',
]);

/** Whether a groupchat message goes into history and archive (not chat states, markers, receipts). */
export function isKept(msg: Element): boolean {
  const hint = (name: string) => msg.getChild(name, NS_HINTS) !== undefined;
  if (hint('store')) return true;
  if (hint('no-store') || hint('no-permanent-store')) return false;
  if (msg.getChild('body') !== undefined) return true;
  return msg.getChildElements().some((c) => KEPT_WITHOUT_BODY.has(c.getNS() ?? ''));
}

function withOccupantId(room: Room, el: Element, occ: Occupant): Element {
  for (const c of el.getChildren('occupant-id', NS_OCCUPANT_ID)) el.remove(c);
  el.append(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: room.occupantId(occ.bare) }));
  return el;
}

function toAllSessions(core: MucContext, room: Room, el: Element): void {
  for (const o of room.occupants.values()) for (const s of o.sessions) core.sendTo(el, s.jid);
}

/** A message addressed to a room or occupant JID. */
export async function handleMessage(
  core: MucContext,
  env: Envelope,
  el: Element,
  from: JID,
  to: JID,
): Promise<void> {
  const type = el.attr('type') ?? 'normal';
  const roomJid = to.toBareString();
  if (type === 'error') return ghost(core, roomJid, from.toString(), el);
  const room = await core.getRoom(roomJid);
  if (!room || (room.locked && room.affiliationOf(from.toBareString()) !== 'owner')) {
    core.replyError(el, itemNotFound('No such room'));
    return;
  }
  if (to.resource) return privateMessage(core, room, el, from, to.resource, type);
  if (type === 'groupchat') return groupchat(core, room, env, el, from);
  const ux = el.getChild('x', NS_MUC_USER);
  if (ux && (ux.getChild('invite') || ux.getChild('decline'))) {
    return invitations(core, room, el, ux, actorOf(room, from));
  }
  const form = findForm(el, NS_MUC_REQUEST);
  if (form) return voiceRequest(core, room, el, form, from);
  if (el.getChild('body') !== undefined)
    core.replyError(el, badRequest('Messages to the room must be of type groupchat'));
}

async function groupchat(
  core: MucContext,
  room: Room,
  env: Envelope,
  el: Element,
  from: JID,
): Promise<void> {
  const occ = room.occupantByJid(from.toString());
  if (!occ) {
    core.replyError(el, notAcceptable('Only occupants may send messages to the room'));
    return;
  }
  if (occ.role === 'visitor' || occ.role === 'none') {
    core.replyError(el, forbidden('You have no voice in this moderated room'));
    return;
  }
  const out = el.clone();
  out.setAttr('from', `${room.jid}/${occ.nick}`);
  out.setAttr('to', undefined);
  stripStanzaIds(out, room.jid);
  withOccupantId(room, out, occ);
  const subject = el.getChild('subject');
  if (subject !== undefined && el.getChild('body') === undefined) {
    if (occ.role !== 'moderator' && !room.config.changeSubject) {
      core.replyError(el, forbidden('Only moderators may change the subject of this room'));
      return;
    }
    room.subject = { text: subject.text(), nick: occ.nick, ts: Date.now() };
    await core.save(room);
    toAllSessions(core, room, out);
    return;
  }
  if (isKept(out)) {
    let id: string;
    let ts = Date.now();
    if (room.config.logging) {
      const peer = tryParseJID(`${room.jid}/${occ.nick}`);
      const appended = await core.writer.append(room.jid, {
        key: dedupeKey(env, el.getChildText('body')),
        peer: peer!,
        message: out,
        now: ts,
      });
      id = appended.id;
      ts = appended.ts;
    } else id = newArchiveId(ts);
    setStanzaId(out, room.jid, id);
    const entry = { xml: out.toString(), ts, nick: occ.nick };
    const max = room.config.historyLength;
    if (max > 0) {
      room.history.push(entry);
      if (room.history.length > max) room.history.splice(0, room.history.length - max);
      core.mirrorHistory(room, entry);
    }
  }
  toAllSessions(core, room, out);
}

/** XEP-0045 7.5: a private message to one occupant, from the sender's occupant JID. */
function privateMessage(
  core: MucContext,
  room: Room,
  el: Element,
  from: JID,
  nick: string,
  type: string,
): void {
  if (type === 'groupchat') {
    core.replyError(el, badRequest('Private messages must not be of type groupchat'));
    return;
  }
  const sender = room.occupantByJid(from.toString());
  if (!sender) {
    core.replyError(el, notAcceptable('Only occupants may send private messages'));
    return;
  }
  const target = room.occupants.get(nick);
  if (!target) {
    core.replyError(el, itemNotFound(`No occupant ${nick}`));
    return;
  }
  const allowed =
    room.config.allowPm === 'anyone' ||
    (room.config.allowPm === 'participants' && sender.role !== 'visitor') ||
    (room.config.allowPm === 'moderators' && sender.role === 'moderator');
  if (!allowed) {
    core.replyError(el, forbidden('Private messages are not allowed in this room'));
    return;
  }
  const out = el.clone();
  out.setAttr('from', `${room.jid}/${sender.nick}`);
  // Chat states alone need no muc#user marker; everything else is flagged as a MUC PM.
  const onlyState = out.getChildElements().every((c) => c.getNS() === NS_CHATSTATES);
  if (!onlyState && !out.getChild('x', NS_MUC_USER)) out.append(xml('x', { xmlns: NS_MUC_USER }));
  withOccupantId(room, out, sender);
  for (const s of target.sessions) core.sendTo(out, s.jid);
}

const isPrivileged = (a: string) => a === 'owner' || a === 'admin';

/** XEP-0045 7.8.2 (mediated invitations) and 7.8.3 (declines). */
async function invitations(
  core: MucContext,
  room: Room,
  el: Element,
  ux: Element,
  actor: Actor,
): Promise<void> {
  for (const inv of ux.getChildren('invite')) {
    const to = tryParseJID(inv.attr('to') ?? '');
    if (!to) {
      core.replyError(el, badRequest('The invitation needs a valid "to"'));
      return;
    }
    if (!actor.occupant && !isPrivileged(actor.affiliation)) {
      core.replyError(el, notAcceptable('Only occupants may invite others'));
      return;
    }
    if (room.config.membersOnly && !isPrivileged(actor.affiliation) && !room.config.allowInvites) {
      core.replyError(el, forbidden('Only admins may invite to this members-only room'));
      return;
    }
    const invitee = to.toBareString();
    if (room.affiliationOf(invitee) === 'outcast') {
      core.replyError(el, forbidden(`${invitee} is banned from this room`));
      return;
    }
    if (
      room.config.membersOnly &&
      affiliationRank(room.affiliationOf(invitee)) < affiliationRank('member')
    )
      await applyAffiliationChange(
        core,
        room,
        { jid: invitee, affiliation: 'member' },
        actor.occupant?.nick,
      );
    const reason = inv.getChildText('reason');
    const m = xml('message', { from: room.jid, to: to.toString(), id: el.attr('id') });
    const x = m.c('x', { xmlns: NS_MUC_USER });
    const i = x.c('invite', { from: actor.bare });
    if (reason) i.c('reason').t(reason);
    if (room.config.passwordProtected) x.c('password').t(room.config.password);
    m.c('body').t(
      `${actor.bare} invites you to the room ${room.jid}${reason ? `: ${reason}` : ''}` +
        (room.config.passwordProtected ? ` (password: ${room.config.password})` : ''),
    );
    core.send(m);
  }
  for (const dec of ux.getChildren('decline')) {
    const to = tryParseJID(dec.attr('to') ?? '');
    if (!to) {
      core.replyError(el, badRequest('The decline needs a valid "to"'));
      return;
    }
    const m = xml('message', { from: room.jid, to: to.toString(), id: el.attr('id') });
    const d = m.c('x', { xmlns: NS_MUC_USER }).c('decline', { from: actor.bare });
    const reason = dec.getChildText('reason');
    if (reason) d.c('reason').t(reason);
    core.send(m);
  }
}

/** XEP-0045 7.13 (a visitor asks for voice) and 8.6 (a moderator answers). */
async function voiceRequest(
  core: MucContext,
  room: Room,
  el: Element,
  form: NonNullable<ReturnType<typeof findForm>>,
  from: JID,
): Promise<void> {
  const actor = actorOf(room, from);
  if (form.fields.has('muc#request_allow')) {
    if (actor.occupant?.role !== 'moderator') {
      core.replyError(el, forbidden('Only moderators may grant voice'));
      return;
    }
    if (parseBoolean(form.fields.get('muc#request_allow')?.[0]) !== true) return;
    const target = room.occupants.get(form.fields.get('muc#roomnick')?.[0] ?? '');
    if (!target || target.role !== 'visitor') return;
    const err = checkRoleChange(room, actor, target, 'participant');
    if (err) {
      core.replyError(el, err);
      return;
    }
    await applyRoleChange(
      core,
      room,
      { occupant: target, role: 'participant' },
      actor.occupant.nick,
    );
    return;
  }
  const occ = actor.occupant;
  if (!occ) {
    core.replyError(el, notAcceptable('Only occupants may request voice'));
    return;
  }
  if (occ.role !== 'visitor') return;
  const approval = buildForm(
    'form',
    NS_MUC_REQUEST,
    [
      {
        var: 'muc#role',
        type: 'list-single',
        label: 'Requested role',
        values: ['participant'],
        options: [{ value: 'participant', label: 'Participant' }],
      },
      { var: 'muc#jid', type: 'jid-single', label: 'User ID', values: [from.toString()] },
      { var: 'muc#roomnick', type: 'text-single', label: 'Room Nickname', values: [occ.nick] },
      {
        var: 'muc#request_allow',
        type: 'boolean',
        label: 'Grant voice to this person?',
        values: ['false'],
      },
    ],
    {
      title: 'Voice request',
      instructions: `To approve this request for voice, select the "Grant voice" box and submit the form.`,
    },
  );
  const m = xml('message', { from: room.jid }, approval);
  for (const o of room.occupants.values())
    if (o.role === 'moderator') for (const s of o.sessions) core.sendTo(m, s.jid);
}
