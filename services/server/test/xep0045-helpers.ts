/**
 * Helpers for the XEP-0045 end-to-end tests: entering and creating rooms
 * the way clients do, and reading what the room sends.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import type { Peer } from './scenario-helpers.js';
import { errorCondition } from './scenario-helpers.js';

export const MUC = 'conference.localhost';
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_DATA = 'jabber:x:data';

let roomSeq = 0;
/** A fresh room JID on the service. */
export const newRoom = (prefix = 'room') => `${prefix}${++roomSeq}-${process.pid}@${MUC}`;

export function statusCodes(el: Element | undefined): number[] {
  return (
    el
      ?.getChild('x', NS_MUC_USER)
      ?.getChildren('status')
      .map((s) => Number(s.attrs.code)) ?? []
  );
}

export function mucItem(el: Element | undefined): Element | undefined {
  return el?.getChild('x', NS_MUC_USER)?.getChild('item');
}

/** The self-presence of a join (status 110) or the error presence for it. */
export const isSelfPresence =
  (room: string, nick: string) =>
  (el: Element): boolean =>
    el.is('presence') &&
    el.attrs.from === `${room}/${nick}` &&
    (el.attrs.type === 'error' || statusCodes(el).includes(110));

/** The subject message that ends a join. */
export const isSubject = (room: string) => (el: Element) =>
  el.is('message') &&
  el.attrs.type === 'groupchat' &&
  (el.attrs.from ?? '').startsWith(room) &&
  el.getChild('subject') !== undefined &&
  el.getChild('body') === undefined;

/**
 * Enters a room and waits for the self-presence (and, when the join
 * succeeded, the subject that follows history). Resolves with the
 * self-presence or the error presence.
 */
export async function join(
  peer: Peer,
  room: string,
  nick: string,
  opts: { password?: string; history?: Record<string, string>; waitSubject?: boolean } = {},
): Promise<Element> {
  peer.mark();
  const children: Element[] = [];
  if (opts.password !== undefined) children.push(xml('password', {}, opts.password));
  if (opts.history) children.push(xml('history', opts.history));
  await peer.send(
    xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, ...children)),
  );
  const self = await peer.next(isSelfPresence(room, nick), 5000, `the self-presence in ${room}`);
  if (self.attrs.type !== 'error' && opts.waitSubject !== false)
    await peer.next(isSubject(room), 5000, `the subject of ${room}`);
  return self;
}

export function submitForm(fields: Record<string, string | string[]>, formType?: string): Element {
  const type_ = formType ?? 'http://jabber.org/protocol/muc#roomconfig';
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, type_)),
    ...Object.entries(fields).map(([k, v]) =>
      xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((one) => xml('value', {}, one))),
    ),
  );
}

/**
 * Creates a room as Conversations or Gajim do: enter (status 201), then
 * either accept the defaults (instant room) or fetch the form and submit
 * `config` (reserved room).
 */
export async function createRoom(
  peer: Peer,
  room: string,
  nick: string,
  config?: Record<string, string | string[]>,
): Promise<Element> {
  const self = await join(peer, room, nick);
  if (!statusCodes(self).includes(201)) throw new Error(`room not created: ${self.toString()}`);
  if (config) {
    const formReply = await peer.iq('get', room, xml('query', { xmlns: NS_MUC_OWNER }));
    if (formReply.attrs.type !== 'result') throw new Error(`no form: ${formReply.toString()}`);
  }
  const res = await peer.iq(
    'set',
    room,
    xml(
      'query',
      { xmlns: NS_MUC_OWNER },
      config ? submitForm(config) : xml('x', { xmlns: NS_DATA, type: 'submit' }),
    ),
  );
  if (res.attrs.type !== 'result')
    throw new Error(`configuration refused (${errorCondition(res)}): ${res.toString()}`);
  return self;
}

export async function leave(peer: Peer, room: string, nick: string): Promise<void> {
  peer.mark();
  await peer.send(xml('presence', { to: `${room}/${nick}`, type: 'unavailable' }));
  await peer.next(
    (el) =>
      el.is('presence') && el.attrs.type === 'unavailable' && el.attrs.from === `${room}/${nick}`,
    5000,
    `leaving ${room}`,
  );
}

export function groupchat(peer: Peer, room: string, body: string, id?: string): Promise<void> {
  return peer.send(
    xml('message', { to: room, type: 'groupchat', ...(id ? { id } : {}) }, xml('body', {}, body)),
  );
}

/** A groupchat message with this body from the room. */
export const isGroupchat = (room: string, body: string, nick?: string) => (el: Element) =>
  el.is('message') &&
  el.attrs.type === 'groupchat' &&
  (nick === undefined
    ? (el.attrs.from ?? '').startsWith(`${room}/`)
    : el.attrs.from === `${room}/${nick}`) &&
  el.getChildText('body') === body;

export async function admin(peer: Peer, room: string, ...items: Element[]): Promise<Element> {
  return peer.iq('set', room, xml('query', { xmlns: NS_MUC_ADMIN }, ...items));
}

export async function configure(
  peer: Peer,
  room: string,
  fields: Record<string, string | string[]>,
): Promise<Element> {
  return peer.iq('set', room, xml('query', { xmlns: NS_MUC_OWNER }, submitForm(fields)));
}
