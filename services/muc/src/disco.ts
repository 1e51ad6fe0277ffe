/**
 * Service discovery (XEP-0045 section 6): the service (identity, the
 * features its modules register, the list of public rooms with XEP-0059
 * paging, unique room names) and each room (the features its modules
 * register, the muc#roominfo form, the reserved-nickname node). Answered
 * by the muc-disco module (src/modules/disco.ts).
 */
import { randomBytes } from 'node:crypto';
import { parseRsm, rsmReply } from '@parley/mam';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, boolText, buildForm, itemNotFound } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucContext } from './muc-context.js';
import { NODE_ROOMUSER_ITEM, NS_MUC_ROOMINFO, NS_MUC_UNIQUE } from './ns.js';
import type { Room } from './room.js';
import { FIELD, fromStored } from './room-config.js';

/** Rooms listed without paging at most. */
const MAX_UNPAGED = 1000;

function infoQuery(node: string | undefined, identities: Element[], features: string[]): Element {
  const q = xml('query', { xmlns: NS_DISCO_INFO, node });
  for (const i of identities) q.append(i);
  for (const f of [...new Set(features)].sort()) q.c('feature', { var: f });
  return q;
}

/** disco#info of the service: its identity and the features the enabled modules registered. */
export function serviceInfo(
  core: MucContext,
  node: string | undefined,
  features: string[],
): Element {
  if (node !== undefined) throw itemNotFound();
  return infoQuery(
    undefined,
    [xml('identity', { category: 'conference', type: 'text', name: core.config.muc.name })],
    features,
  );
}

interface Listed {
  jid: string;
  name: string;
}

/** Public, configured rooms of one service domain, sorted by JID. */
async function publicRooms(core: MucContext, domain: string): Promise<Listed[]> {
  const found = new Map<string, Listed>();
  const defaults = core.defaults();
  let after: string | undefined;
  for (;;) {
    const page = await core.stores.rooms.list({ domain, limit: 500, ...(after ? { after } : {}) });
    for (const r of page.items) {
      const c = fromStored(r.config, defaults);
      if (c.public)
        found.set(r.jid, { jid: r.jid, name: c.name || r.jid.slice(0, r.jid.indexOf('@')) });
    }
    if (!page.next) break;
    after = page.next;
  }
  const temporary = core.stateStore.shared ? await core.stateStore.temporaryRooms() : [];
  for (const m of temporary) {
    if (m.locked || !m.jid.endsWith(`@${domain}`) || !m.config) continue;
    const c = fromStored(m.config, defaults);
    if (c.public)
      found.set(m.jid, { jid: m.jid, name: c.name || m.jid.slice(0, m.jid.indexOf('@')) });
  }
  for (const room of core.rooms.values()) {
    // This worker's rooms are current (the RoomStore and the mirror may lag one write).
    if (room.domain !== domain) continue;
    if (room.locked || !room.config.public) found.delete(room.jid);
    else found.set(room.jid, { jid: room.jid, name: room.title });
  }
  return [...found.values()].sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
}

/** disco#items of the service: public rooms, paged with XEP-0059 when asked. */
export async function serviceItems(
  core: MucContext,
  domain: string,
  query: Element,
): Promise<Element> {
  if (query.attr('node') !== undefined) throw itemNotFound();
  const all = await publicRooms(core, domain);
  const rsm = parseRsm(query);
  const q = xml('query', { xmlns: NS_DISCO_ITEMS });
  if (!rsm) {
    for (const r of all.slice(0, MAX_UNPAGED)) q.c('item', { jid: r.jid, name: r.name });
    return q;
  }
  let start = 0;
  let end = all.length;
  if (rsm.after !== undefined) start = all.findIndex((r) => r.jid > rsm.after!);
  if (start === -1) start = all.length;
  if (typeof rsm.before === 'string') {
    const b = rsm.before;
    end = all.findIndex((r) => r.jid >= b);
    if (end === -1) end = all.length;
  }
  if (rsm.index !== undefined) start = Math.min(rsm.index, all.length);
  const max = rsm.max ?? MAX_UNPAGED;
  const page =
    rsm.before !== undefined && rsm.index === undefined
      ? all.slice(Math.max(start, end - max), end)
      : all.slice(start, Math.min(end, start + max));
  for (const r of page) q.c('item', { jid: r.jid, name: r.name });
  const first = page[0];
  const last = page[page.length - 1];
  q.append(
    rsmReply({
      ...(first ? { first: { id: first.jid, index: all.indexOf(first) } } : {}),
      ...(last ? { last: last.jid } : {}),
      count: all.length,
    }),
  );
  return q;
}

/** XEP-0045 10.1.4: a room name nobody uses. */
export function uniqueName(core: MucContext): Element {
  let name: string;
  do name = randomBytes(9).toString('hex');
  while ([...core.rooms.keys()].some((j) => j.startsWith(`${name}@`)));
  return xml('unique', { xmlns: NS_MUC_UNIQUE }, name);
}

/**
 * disco#info of a room, with the features the enabled modules registered
 * for it and the muc#roominfo form (XEP-0045 6.4, XEP-0128, XEP-0486).
 */
export function roomInfo(
  room: Room,
  node: string | undefined,
  requester: string,
  features: string[],
): Element {
  if (node === NODE_ROOMUSER_ITEM) {
    // XEP-0045 7.12: the requester's reserved nickname, if any.
    const nick = room.reservedNickOf(requester);
    const q = xml('query', { xmlns: NS_DISCO_INFO, node });
    if (nick) q.c('identity', { category: 'conference', type: 'text', name: nick });
    return q;
  }
  if (node !== undefined) throw itemNotFound();
  const c = room.config;
  const q = infoQuery(
    undefined,
    [xml('identity', { category: 'conference', type: 'text', name: room.title })],
    features,
  );
  const fields = [
    { var: 'muc#roominfo_description', label: 'Description', values: [c.description] },
    {
      var: 'muc#roominfo_occupants',
      label: 'Number of occupants',
      values: [String(room.occupantCount)],
    },
    { var: 'muc#roominfo_subject', label: 'Subject', values: [room.subject?.text ?? ''] },
    {
      var: 'muc#roominfo_subjectmod',
      label: 'Occupants may change the subject',
      type: 'boolean' as const,
      values: [boolText(c.changeSubject)],
    },
    {
      var: 'muc#roominfo_changesubject',
      label: 'Occupants may change the subject',
      type: 'boolean' as const,
      values: [boolText(c.changeSubject)],
    },
    { var: FIELD.name, label: 'Natural-language room name', values: [c.name] },
    {
      var: FIELD.changeSubject,
      label: 'Occupants may change the subject',
      type: 'boolean' as const,
      values: [boolText(c.changeSubject)],
    },
    {
      var: FIELD.allowInvites,
      label: 'Occupants may invite others',
      type: 'boolean' as const,
      values: [boolText(c.allowInvites)],
    },
    { var: FIELD.allowPm, label: 'Who may send private messages', values: [c.allowPm] },
    {
      var: FIELD.historyLength,
      label: 'Maximum number of history messages',
      values: [String(c.historyLength)],
    },
  ];
  if (c.lang) fields.push({ var: 'muc#roominfo_lang', label: 'Language', values: [c.lang] });
  if (room.avatar.length > 0)
    fields.push({
      var: 'muc#roominfo_avatarhash',
      label: 'Avatar hash',
      type: 'text-multi' as never,
      values: room.avatar,
    });
  q.append(buildForm('result', NS_MUC_ROOMINFO, fields));
  return q;
}

/** disco#items of a room: its occupants are not listed (their presence is the list). */
export function roomItems(query: Element): Element {
  if (query.attr('node') !== undefined) throw itemNotFound();
  return xml('query', { xmlns: NS_DISCO_ITEMS });
}
