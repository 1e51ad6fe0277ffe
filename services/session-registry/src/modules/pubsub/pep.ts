import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import {
  NS_CAPS,
  NS_PUBSUB,
  NS_PUBSUB_EVENT,
  NS_PUBSUB_OWNER,
  NS_SUBSCRIBE_AUTHORIZATION,
  PEP_FEATURES,
  capsKey,
  capsOf,
  pubsubFeature,
} from '@parley/pubsub';
import type { Caps } from '@parley/pubsub';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { FilterVerdict } from '../../hooks.js';
import type { SessionEntry } from '../../sessions/session-table.js';
import { hasSubFrom, hasSubTo } from '../../rules/subscription-state.js';
import { Blocklist } from '../privacy/blocklist.js';
import { CAPS_QUERY_PREFIX } from './pep-caps.js';
import { DISCO } from '../discovery/disco.js';
import { PEP, PepRuntime } from './pep-runtime.js';
import type { ModuleContext, ServerModule } from '../types.js';

/**
 * Parley-internal marker on a presence a contact's partition sends to a PEP
 * owner it is subscribed to but whose owner does not see its presence: it
 * carries the contact resource's caps and is never delivered to a client.
 */
export const NS_PEP_INTEREST = 'urn:xmpp:parley:pep-interest:0';

/**
 * XEP-0163 Personal Eventing Protocol: every account is a virtual pubsub
 * service at its bare JID (the XEP-0060 engine of @parley/pubsub over the
 * PubsubStore), with auto-create, publish-options, the presence access
 * model by default and implicit subscriptions: the owner's resources and
 * contacts with a presence subscription get notifications for the nodes
 * their entity capabilities (XEP-0115) ask for with `<node>+notify`. The
 * server learns those from the caps of available presence: the owner's
 * (outbound, at its partition) and its contacts' (inbound presence to the
 * owner, or a marker from the contact's partition when the owner does not
 * see the contact's presence), asking a client's disco#info once per caps
 * ver. A resource that becomes available gets the last published item of
 * each node it is interested in.
 */
export const pepModule: ServerModule = {
  name: 'pep',
  configSections: ['pubsub', 'quotas'],
  requires: ['disco'],
  xeps: [
    {
      xep: '0060',
      title: 'Publish-Subscribe',
      version: '1.26.0',
      note: 'on the PEP service of every account; see also the pubsub-service module. Leaf nodes only; no subscription options, leases or collections',
    },
    {
      xep: '0163',
      title: 'Personal Eventing Protocol',
      version: '1.2.2',
      note: 'auto-create, auto-subscribe, filtered notifications, last published item on presence',
    },
    {
      xep: '0115',
      title: 'Entity Capabilities',
      version: '1.6.0',
      note: "used for PEP filtered notifications: the server asks a client's disco#info once per verified ver",
    },
    {
      xep: '0223',
      title: 'Persistent Storage of Private Data via PubSub',
      version: '1.1.1',
      note: 'publish-options preconditions: whitelist access model, send_last_published_item never',
    },
  ],
  register(ctx) {
    const rt = new PepRuntime(ctx);
    ctx.provide(PEP, rt);
    const engine = rt.engine;
    ctx.identity({ category: 'pubsub', type: 'pep' }, 'account');
    ctx.feature(NS_PUBSUB, 'account');
    for (const f of PEP_FEATURES) ctx.feature(pubsubFeature(f), 'account');

    for (const type of ['get', 'set'] as const)
      for (const ns of [NS_PUBSUB, NS_PUBSUB_OWNER])
        ctx.accountIq(type, ns, async (req) =>
          engine.handleIq(req.to.toBareString(), req.from, type, req.payload),
        );

    // The account's nodes in its disco (XEP-0060 5.2-5.4): node information, the
    // nodes as items of the account, the item ids as items of a node.
    ctx.use(DISCO).addAccountNodes({
      info: (owner, node, from) => engine.nodeInfo(owner, node, from),
      items: (owner, node, from) => engine.discoItems(owner, node, from),
    });

    ctx.onOutbound(({ env, from, to, generated }) => {
      if (generated) return undefined;
      if (env.kind === 'iq') {
        if (!isCapsAnswer(env.type, env.id)) return undefined;
        const own = to === undefined || (to.toBareString() === from.toBareString() && !to.resource);
        if (!own) return undefined; // a contact's answer: routed to the asking owner
        rt.caps.answer(withFrom(parseXml(env.xml), from));
        return 'drop';
      }
      if (env.kind !== 'presence' || to !== undefined || env.type !== '') return undefined;
      if (!env.xml.includes(NS_CAPS)) return undefined;
      return ownPresence(ctx, rt, from, parseXml(env.xml));
    });

    ctx.onInbound(({ env, from, to }) => {
      const owner = to.toBareString();
      switch (env.kind) {
        case 'iq':
          if (!isCapsAnswer(env.type, env.id) || to.resource) return undefined;
          rt.caps.answer(withFrom(parseXml(env.xml), from));
          return 'drop';
        case 'presence':
          return contactPresence(ctx, rt, env.type, env.xml, from, to);
        case 'message': {
          const bounce = env.type === 'error' && env.xml.includes(NS_PUBSUB_EVENT);
          const answer =
            from.toBareString() === owner && env.xml.includes(NS_SUBSCRIBE_AUTHORIZATION);
          if ((!bounce && !answer) || to.resource) return undefined;
          return engine.handleMessage(owner, from, parseXml(env.xml)).then((mine) => {
            if (!mine) return undefined;
            if (bounce) rt.contactUnavailable(owner, from.toString());
            return 'drop' as const;
          });
        }
      }
      return undefined;
    });
  },
};

function isCapsAnswer(type: string, id: string | undefined): boolean {
  return (type === 'result' || type === 'error') && id?.startsWith(CAPS_QUERY_PREFIX) === true;
}

/** The stanza as its sender's server saw it: 'from' stamped. */
function withFrom(el: Element, from: JID): Element {
  el.setAttr('from', from.toString());
  return el;
}

/**
 * Available broadcast presence of one of the owner's own resources, carrying
 * caps: learn what it wants (and send it the last items when it just came
 * online or asks for more than before), and tell the owners of PEP services
 * the user is subscribed to but who do not see its presence.
 */
function ownPresence(
  ctx: ModuleContext,
  rt: PepRuntime,
  from: JID,
  presence: Element,
): FilterVerdict | Promise<FilterVerdict> {
  const owner = from.toBareString();
  const caps = capsOf(presence);
  const session = ctx.sessions.get(owner, from.resource);
  if (!caps || !session) return undefined;
  const initial = !session.available;
  const before = !initial && session.presence ? capsOf(parseXml(session.presence)) : undefined;
  const changed = before === undefined || capsKey(before) !== capsKey(caps);
  if (!initial && !changed) return undefined;
  rt.learn(owner, from.toString(), caps, true, before);
  return sendInterestMarkers(ctx, owner, session, from.toString(), caps).then(() => undefined);
}

/**
 * For each local contact whose presence the user is subscribed to (so it is
 * auto-subscribed to that contact's PEP service) but who does not receive
 * the user's presence, a marker presence with the caps goes to the
 * contact's partition, and the contact is remembered like a directed
 * presence target so that it hears when this resource goes away.
 */
async function sendInterestMarkers(
  ctx: ModuleContext,
  owner: string,
  session: SessionEntry,
  full: string,
  caps: Caps,
): Promise<void> {
  const domains = new Set(ctx.config.server.domains);
  const roster = await ctx.stores.rosters.get(owner);
  let blocked: Blocklist | undefined;
  let touched = false;
  for (const item of roster.items) {
    if (!hasSubTo(item) || hasSubFrom(item)) continue;
    const contact = tryParseJID(item.jid);
    if (!contact?.local || !domains.has(contact.domain)) continue;
    blocked ??= Blocklist.of(await ctx.stores.blocklists.get(owner));
    if (blocked.matches(contact)) continue;
    ctx.send(
      xml(
        'presence',
        { from: full, to: item.jid },
        xml('c', { xmlns: NS_CAPS, hash: caps.hash, node: caps.node, ver: caps.ver }),
        xml('interest', { xmlns: NS_PEP_INTEREST }),
      ),
    );
    if (!session.directed.has(item.jid)) {
      session.directed.add(item.jid);
      touched = true;
    }
  }
  if (touched) ctx.sessions.touch(owner, session);
}

/**
 * Presence from another entity's resource reaching the PEP owner: available
 * presence with caps makes the resource an implicit recipient (subject to
 * the access model at notification time); a broadcast to the bare JID, or a
 * marker, is its initial presence for us and brings the last items;
 * unavailable presence removes it. Markers are never delivered.
 */
function contactPresence(
  ctx: ModuleContext,
  rt: PepRuntime,
  type: string,
  raw: string,
  from: JID,
  to: JID,
): FilterVerdict | Promise<FilterVerdict> {
  const owner = to.toBareString();
  if (!from.resource || from.toBareString() === owner) return undefined;
  const full = from.toString();
  if (type === 'unavailable') {
    const known = rt.contactUnavailable(owner, full);
    return known?.viaMarker && !to.resource ? 'drop' : undefined;
  }
  if (type !== '' || !raw.includes(NS_CAPS)) return undefined;
  const presence = parseXml(raw);
  const caps = capsOf(presence);
  if (presence.getChild('interest', NS_PEP_INTEREST)) {
    return ctx.stores.rosters.getItem(owner, from.toBareString()).then((item) => {
      if (item && hasSubFrom(item) && caps)
        rt.contactAvailable(owner, full, caps, { viaMarker: true, sendLast: true });
      return 'drop' as const;
    });
  }
  rt.contactAvailable(owner, full, caps, { viaMarker: false, sendLast: !to.resource });
  return undefined;
}
