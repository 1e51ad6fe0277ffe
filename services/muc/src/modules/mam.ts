import { parseQuery, queryArchive, queryForm, resultMessage } from '@parley/mam';
import { forbidden, serviceUnavailable } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { MucContext } from '../muc-context.js';
import { NS_MAM } from '../ns.js';
import { affiliationRank } from '../room.js';
import type { MucModule, RoomIqRequest } from './types.js';

/**
 * XEP-0313 on a room: whoever could read the discussion by entering may
 * read the archive, nobody else. Banned users never; owners and admins
 * always (they enter without a password and whatever the room type);
 * otherwise a password-protected room's archive is for its occupants
 * (they gave the password: knowing the room's JID is not enough, and a
 * member needs the password to enter, so to read), a members-only room's
 * for its occupants and members, and a public room's for anyone.
 * The results go out before the IQ result with `<fin/>`.
 */
async function mamQuery(core: MucContext, req: RoomIqRequest): Promise<Element> {
  const { room, from, payload } = req;
  const aff = room.affiliationOf(from.toBareString());
  const present = room.occupantByJid(from.toString()) !== undefined;
  const privileged = aff === 'owner' || aff === 'admin';
  if (aff === 'outcast') throw forbidden('You are banned from this room');
  if (room.config.passwordProtected && !present && !privileged)
    throw forbidden('Only occupants may read the archive of a password-protected room');
  if (room.config.membersOnly && !present && affiliationRank(aff) < affiliationRank('member'))
    throw forbidden('Only members may read the archive of this room');
  if (!room.config.logging) throw serviceUnavailable('This room is not archived');
  const q = parseQuery(payload);
  const res = await queryArchive(core.stores.archive, room.jid, q, {
    maxPageSize: core.config.muc.mamMaxPageSize,
    defaultPageSize: core.config.muc.mamDefaultPageSize,
  });
  for (const r of res.results) core.send(resultMessage(r, room.jid, from.toString()));
  return res.fin;
}

/**
 * Reading a room's archive (XEP-0313, with XEP-0059 paging): the query
 * form and queries, and the `urn:xmpp:mam:2` feature on rooms that are
 * logged (muc#roomconfig_enablelogging). Writing the archive is the
 * core's (it keeps the discussion history with it, see muc-core).
 */
export const mucMamModule: MucModule = {
  name: 'muc-mam',
  configSections: ['muc'],
  xeps: [
    { xep: '0313', title: 'Message Archive Management', version: '0.8.0', note: 'room archives' },
    {
      xep: '0059',
      title: 'Result Set Management',
      version: '1.0.0',
      note: 'in room archive queries',
    },
  ],
  register(ctx) {
    ctx.roomFeature((room) => (room.config.logging ? [NS_MAM] : []));
    ctx.roomIq('get', NS_MAM, () => queryForm());
    ctx.roomIq('set', NS_MAM, (req) => mamQuery(ctx.core, req));
  },
};
