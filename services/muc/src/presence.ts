/**
 * Occupant presence as the room sends it (XEP-0045 7.2.3 onwards): the
 * occupant's own presence content, the muc#user item with affiliation and
 * role (and the real JID for those allowed to see it), status codes and
 * the XEP-0421 occupant id.
 */
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucContext } from './muc-context.js';
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID } from './ns.js';
import type { Occupant, Room } from './room.js';
import type { Affiliation, Role } from './room-config.js';

/** The client's presence as kept for the occupant: no addresses, no MUC protocol elements. */
export function cleanPresence(el: Element): string {
  const p = xml('presence');
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    const ns = c.getNS();
    if (c.is('x', NS_MUC) || c.is('x', NS_MUC_USER) || ns === NS_OCCUPANT_ID) continue;
    p.append(c.clone());
  }
  return p.toString();
}

export interface PresenceOpts {
  type?: 'unavailable';
  /** Status codes for every recipient. */
  codes?: number[];
  /** Codes only the occupant itself gets (110 is added for it anyway). */
  selfCodes?: number[];
  /** Shown instead of the current affiliation/role (e.g. role 'none' when leaving). */
  affiliation?: Affiliation;
  role?: Role;
  /** The new nickname (status 303). */
  nick?: string;
  /** Nickname of the moderator or admin who caused the change. */
  actor?: string;
  reason?: string;
  /** `<destroy/>` for room destruction. */
  destroy?: Element;
  /** Presence content (show, status, caps...): default the occupant's current presence. */
  content?: Element;
  /** Session to leave out (it gets its own copy). */
  skip?: string;
}

function contentOf(o: Occupant): Element | undefined {
  const last = o.sessions[o.sessions.length - 1];
  if (!last) return undefined;
  try {
    return parseXml(last.presence);
  } catch {
    return undefined;
  }
}

/**
 * One presence of occupant `o` for one recipient session: `viewer` is the
 * recipient's role (real JIDs are shown to moderators, or to everyone in
 * non-anonymous rooms), `self` whether the recipient is `o` itself.
 */
export function occupantPresence(
  room: Room,
  o: Occupant,
  to: string,
  viewer: Role,
  self: boolean,
  opts: PresenceOpts,
  content: Element | undefined,
): Element {
  const p = xml('presence', { from: `${room.jid}/${o.nick}`, to, type: opts.type });
  if (content) for (const c of content.children) if (typeof c !== 'string') p.append(c.clone());
  const x = p.c('x', { xmlns: NS_MUC_USER });
  const realJid = self ? to : o.sessions[o.sessions.length - 1]?.jid;
  const item = x.c('item', {
    affiliation: opts.affiliation ?? room.affiliationOf(o.bare),
    role: opts.role ?? o.role,
    jid: room.showsJidsTo(viewer) || (self && room.showsJidsTo(o.role)) ? realJid : undefined,
    nick: opts.nick,
  });
  if (opts.actor !== undefined) item.c('actor', { nick: opts.actor });
  if (opts.reason) item.c('reason').t(opts.reason);
  if (opts.destroy) x.append(opts.destroy.clone());
  const codes = [...(opts.codes ?? [])];
  if (self) codes.push(110, ...(opts.selfCodes ?? []));
  for (const c of [...new Set(codes)].sort((a, b) => a - b)) x.c('status', { code: c });
  p.c('occupant-id', { xmlns: NS_OCCUPANT_ID, id: room.occupantId(o.bare) });
  return p;
}

/**
 * Sends occupant `o`'s presence to every session in the room: the other
 * occupants (when o's role is broadcast: muc#roomconfig_presencebroadcast)
 * and o's own sessions (self-presence, status 110). `selfTargets` names
 * o's sessions that get the self copy when o is no longer in the room.
 */
export function broadcastPresence(
  core: MucContext,
  room: Room,
  o: Occupant,
  opts: PresenceOpts,
  selfTargets: readonly string[] = o.sessions.map((s) => s.jid),
  visibleRole: Role = o.role,
): void {
  const content = opts.content ?? contentOf(o);
  const visible = room.config.presenceBroadcast.includes(visibleRole);
  for (const other of room.occupants.values()) {
    if (other === o || !visible) continue;
    for (const s of other.sessions) {
      if (s.jid === opts.skip) continue;
      core.send(occupantPresence(room, o, s.jid, other.role, false, opts, content));
    }
  }
  for (const jid of selfTargets) {
    if (jid === opts.skip) continue;
    core.send(occupantPresence(room, o, jid, o.role, true, opts, content));
  }
}

/** The presence of every other occupant, for a session entering the room (XEP-0045 7.2.3). */
export function sendOccupantList(
  core: MucContext,
  room: Room,
  to: Occupant,
  session: string,
): void {
  for (const other of room.occupants.values()) {
    if (other === to || !room.config.presenceBroadcast.includes(other.role)) continue;
    core.send(occupantPresence(room, other, session, to.role, false, {}, contentOf(other)));
  }
}
