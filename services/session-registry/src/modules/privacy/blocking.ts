import { Priority } from '@parley/modules';
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import {
  NS_BLOCKING,
  StanzaError,
  badRequest,
  forbidden,
  jidMalformed,
  serviceUnavailable,
} from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { FilterVerdict } from '../../hooks.js';
import { Blocklist } from './blocklist.js';
import type { IqRequest, ModuleContext, ServerModule } from '../types.js';

/** XEP-0191 application error condition for stanzas to a blocked JID. */
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';
/** Session flag: the resource requested the blocklist, so it gets block/unblock pushes. */
const REQUESTED = 'blocklist';

/**
 * XEP-0191: Blocking Command. The blocklist lives in the BlocklistStore and,
 * for matching, in a per-account cache inside the owner's partition (loaded
 * on first use, replaced after every change), so checking a stanza costs one
 * Map lookup. Stanzas from a blocked JID never reach the user: presence is
 * dropped, messages and IQ get/set are answered service-unavailable (as if
 * the user did not exist); stanzas the user sends to a blocked JID are
 * answered not-acceptable with <blocked/>, presence to it is dropped,
 * including presence the server sends for the user (broadcasts, probes).
 * The user's own account and its server are never blocked.
 */
export const blockingModule: ServerModule = {
  name: 'blocking',
  xeps: [{ xep: '0191', title: 'Blocking Command', version: '1.3' }],
  register(ctx) {
    ctx.feature(NS_BLOCKING);
    const cache = ctx.accountCache<Blocklist>();
    const domains = new Set(ctx.config.server.domains);

    const load = (owner: string): Blocklist | Promise<Blocklist> =>
      cache.get(owner) ??
      ctx.stores.blocklists.get(owner).then((items) => {
        const list = Blocklist.of(items);
        cache.set(owner, list);
        return list;
      });

    /** Whether `peer` is blocked by `owner`'s list; the account itself and its server never are. */
    const blocks = (list: Blocklist, owner: string, peer: JID): boolean =>
      list.size > 0 &&
      list.matches(peer) &&
      !(peer.local === '' && peer.resource === '' && domains.has(peer.domain)) &&
      peer.toBareString() !== owner;

    const decide = (
      owner: string,
      peer: JID,
      verdict: () => FilterVerdict,
    ): FilterVerdict | Promise<FilterVerdict> => {
      const list = load(owner);
      if (list instanceof Blocklist) return blocks(list, owner, peer) ? verdict() : undefined;
      return list.then((l) => (blocks(l, owner, peer) ? verdict() : undefined));
    };

    // Access control first: a blocked stanza reaches no other module.
    ctx.onOutbound(
      ({ env, from, to }) =>
        to ? decide(from.toBareString(), to, () => outboundVerdict(env)) : undefined,
      Priority.access,
    );
    ctx.onInbound(
      ({ env, from, to }) => decide(to.toBareString(), from, () => inboundVerdict(env)),
      Priority.access,
    );

    ctx.accountIq('get', NS_BLOCKING, async (req) => {
      const owner = ownAccount(req);
      if (!req.payload.is('blocklist', NS_BLOCKING)) throw badRequest('expected <blocklist/>');
      const session = ctx.sessions.get(owner, req.from.resource);
      if (session) ctx.setSessionFlag(owner, session, REQUESTED, true);
      const list = await load(owner);
      return xml('blocklist', { xmlns: NS_BLOCKING }, ...list.items.map(itemElement));
    });

    ctx.accountIq('set', NS_BLOCKING, async (req) => {
      const owner = ownAccount(req);
      const jids = parseItems(req.payload);
      const before = await load(owner);
      if (req.payload.is('block', NS_BLOCKING)) {
        if (jids.length === 0) throw badRequest('a block command carries at least one item');
        const after = Blocklist.of(await ctx.stores.blocklists.add(owner, jids));
        cache.set(owner, after);
        await presenceOnBlock(ctx, owner, Blocklist.of(jids.filter((j) => !before.has(j))), before);
        push(ctx, owner, xml('block', { xmlns: NS_BLOCKING }, ...jids.map(itemElement)));
        return undefined;
      }
      if (req.payload.is('unblock', NS_BLOCKING)) {
        let after = Blocklist.EMPTY;
        if (jids.length === 0) await ctx.stores.blocklists.clear(owner);
        else after = Blocklist.of(await ctx.stores.blocklists.remove(owner, jids));
        cache.set(owner, after);
        const removed = jids.length === 0 ? before.items : jids.filter((j) => before.has(j));
        await presenceOnUnblock(ctx, owner, Blocklist.of(removed), after);
        push(ctx, owner, xml('unblock', { xmlns: NS_BLOCKING }, ...jids.map(itemElement)));
        return undefined;
      }
      throw badRequest('expected <block/> or <unblock/>');
    });
  },
};

function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', {
    appCondition: xml('blocked', { xmlns: NS_BLOCKING_ERRORS }),
  });
}

/** The user addressed a blocked JID: it is not routed (XEP-0191 section 3.3). */
function outboundVerdict(env: Envelope): FilterVerdict {
  if (env.kind === 'presence') return 'drop';
  // Errors and IQ results cannot be answered with an error; they just go nowhere.
  if (env.type === 'error' || env.type === 'result') return 'drop';
  return blockedError();
}

/**
 * A blocked JID addressed the user: presence vanishes, messages and IQ
 * get/set get service-unavailable, as for an account that is not there.
 */
function inboundVerdict(env: Envelope): FilterVerdict {
  if (env.kind === 'presence') return 'drop';
  if (env.kind === 'message') return env.type === 'error' ? 'drop' : serviceUnavailable();
  return env.type === 'get' || env.type === 'set' ? serviceUnavailable() : 'drop';
}

/** Blocking commands are the account's own business. */
function ownAccount(req: IqRequest): string {
  const owner = req.from.toBareString();
  if (req.to.toBareString() !== owner)
    throw forbidden('only the account itself may use its blocklist');
  return owner;
}

/** The normalized, distinct item JIDs of a block/unblock element. */
function parseItems(payload: Element): string[] {
  const jids = new Set<string>();
  for (const item of payload.getChildren('item', NS_BLOCKING)) {
    const raw = item.attr('jid');
    if (raw === undefined) throw badRequest('an item needs a jid');
    const jid = tryParseJID(raw);
    if (!jid) throw jidMalformed(`not a valid JID: ${raw}`);
    jids.add(jid.toString());
  }
  return [...jids];
}

function itemElement(jid: string): Element {
  return xml('item', { jid });
}

let pushSeq = 0;

/** Block/unblock push to every resource of `owner` that requested the blocklist. */
function push(ctx: ModuleContext, owner: string, payload: Element): void {
  for (const s of ctx.sessions.resources(owner)) {
    if (s.flags?.[REQUESTED] !== true) continue;
    const to = `${owner}/${s.resource}`;
    ctx.deliver(
      s,
      xml('iq', { type: 'set', id: `block-push${++pushSeq}`, from: owner, to }, payload),
    );
  }
}

/**
 * Who currently receives `owner`'s presence besides its own resources:
 * subscribers (full-JID items count when their account is subscribed) and,
 * per session, directed-presence targets.
 */
async function presenceAudience(
  ctx: ModuleContext,
  owner: string,
  items: Blocklist,
): Promise<string[]> {
  const roster = await ctx.stores.rosters.get(owner);
  const subscribed = new Set(
    roster.items
      .filter((i) => i.subscription === 'from' || i.subscription === 'both')
      .map((i) => i.jid),
  );
  const out = [...subscribed];
  for (const item of items.items) {
    const jid = tryParseJID(item);
    if (jid?.local && jid.resource && subscribed.has(jid.toBareString())) out.push(item);
  }
  return out;
}

/**
 * XEP-0191 3.3: contacts that could see the user's presence and are now
 * blocked get unavailable presence from every available resource (and lose
 * any directed presence).
 */
async function presenceOnBlock(
  ctx: ModuleContext,
  owner: string,
  added: Blocklist,
  before: Blocklist,
): Promise<void> {
  const available = ctx.sessions.available(owner);
  if (added.size === 0 || available.length === 0) return;
  const newlyBlocked = (target: string) => {
    const jid = tryParseJID(target);
    return jid !== undefined && added.matches(jid) && !before.matches(jid);
  };
  const audience = (await presenceAudience(ctx, owner, added)).filter(newlyBlocked);
  for (const s of available) {
    const from = `${owner}/${s.resource}`;
    const targets = new Set(audience);
    for (const d of s.directed) if (newlyBlocked(d)) targets.add(d);
    let changed = false;
    for (const t of targets) changed = s.directed.delete(t) || changed;
    if (changed) ctx.sessions.touch(owner, s);
    for (const to of targets) ctx.send(xml('presence', { type: 'unavailable', from, to }));
  }
}

/** XEP-0191 3.4: subscribers no longer blocked get the user's current presence again. */
async function presenceOnUnblock(
  ctx: ModuleContext,
  owner: string,
  removed: Blocklist,
  after: Blocklist,
): Promise<void> {
  const available = ctx.sessions.available(owner).filter((s) => s.presence !== undefined);
  if (removed.size === 0 || available.length === 0) return;
  const audience = (await presenceAudience(ctx, owner, removed)).filter((target) => {
    const jid = tryParseJID(target);
    return jid !== undefined && removed.matches(jid) && !after.matches(jid);
  });
  for (const s of available) {
    const presence = parseXml(s.presence!);
    for (const to of audience) {
      const copy = presence.clone();
      copy.setAttr('to', to);
      copy.setAttr('from', `${owner}/${s.resource}`);
      ctx.send(copy);
    }
  }
}
