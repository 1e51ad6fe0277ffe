import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { BASE_DEFAULTS, PubsubEngine, capsKey, capsOf } from '@parley/pubsub';
import type { Caps, LoadedNode, PublishedEvent, RetractedEvent } from '@parley/pubsub';
import { ServiceKey } from '@parley/modules';
import { parseXml } from '@parley/xml';
import { Blocklist } from '../privacy/blocklist.js';
import { CapsResolver } from './pep-caps.js';
import type { ModuleContext } from '../types.js';

/** A contact's resource the PEP service knows to be available, with its caps. */
interface ContactResource {
  caps: Caps;
  /** Learned from the contact's own partition (no presence subscription of the owner). */
  viaMarker: boolean;
}

/**
 * Per-account PEP state in the owner's partition: contacts' available
 * resources, least recently present first (contactAvailable re-inserts).
 * A Map rather than an LRUCache: there is one per account, and lru-cache
 * allocates its whole capacity up front (about 50 KB for 2000 entries).
 */
class PepState {
  readonly contacts = new Map<string, ContactResource>();
}

/** Contacts' resources remembered per account; the least recently present is forgotten beyond this. */
const MAX_CONTACT_RESOURCES = 2000;

/**
 * The PEP service shared by the modules built on it (pep, vcard/avatar
 * conversion, bookmarks): one XEP-0060 engine for every account's virtual
 * service, the entity-capabilities resolver and the contacts' interest
 * state, plus publication hooks other modules subscribe to.
 */
export class PepRuntime {
  readonly engine: PubsubEngine;
  readonly caps: CapsResolver;
  private readonly state;
  private readonly published: ((ev: PublishedEvent) => void | Promise<void>)[] = [];
  private readonly retracted: ((ev: RetractedEvent) => void | Promise<void>)[] = [];

  constructor(private readonly ctx: ModuleContext) {
    const cfg = ctx.config.pubsub;
    this.state = ctx.accountCache<PepState>();
    this.caps = new CapsResolver((stanza) => ctx.send(stanza));
    this.engine = new PubsubEngine(
      {
        store: ctx.stores.pubsub,
        send: (stanza) => ctx.send(stanza),
        rosterItem: async (owner, contact) => {
          const item = await ctx.stores.rosters.getItem(owner, contact);
          return item && { subscription: item.subscription, groups: item.groups };
        },
        defer: (task) => this.defer(task),
      },
      {
        pep: true,
        defaults: {
          ...BASE_DEFAULTS,
          access_model: 'presence',
          max_items: cfg.pepDefaultMaxItems,
          send_last_published_item: 'on_sub_and_presence',
        },
        limits: { maxItems: cfg.maxItems },
        maxPayloadBytes: cfg.maxPayloadBytes,
        autoCreate: true,
        maxNodes: ctx.config.quotas.pepMaxNodes,
        canCreate: (service, who) => who.toBareString() === service,
        implicitRecipients: (node) => this.implicitRecipients(node),
        filterRecipients: async (node, recipients) => {
          if (recipients.length === 0) return recipients;
          const blocked = Blocklist.of(await ctx.stores.blocklists.get(node.service));
          if (blocked.size === 0) return recipients;
          return recipients.filter((r) => {
            const jid = tryParseJID(r);
            return (
              jid !== undefined && (jid.toBareString() === node.service || !blocked.matches(jid))
            );
          });
        },
        onPublished: async (ev) => {
          for (const h of this.published) await h(ev);
        },
        onRetracted: async (ev) => {
          for (const h of this.retracted) await h(ev);
        },
      },
    );
  }

  /** Runs work after the current stanza (replies first), logging failures. */
  defer(task: () => Promise<void>): void {
    setImmediate(() => {
      task().catch((err: unknown) => this.ctx.logger.error('pep task failed', { err }));
    });
  }

  onPublished(hook: (ev: PublishedEvent) => void | Promise<void>): void {
    this.published.push(hook);
  }

  onRetracted(hook: (ev: RetractedEvent) => void | Promise<void>): void {
    this.retracted.push(hook);
  }

  private stateOf(owner: string): PepState {
    let s = this.state.get(owner);
    if (!s) this.state.set(owner, (s = new PepState()));
    return s;
  }

  /**
   * XEP-0163 implicit recipients of a node's notifications: every available
   * resource of the owner and every known available resource of a contact
   * whose caps ask for `<node>+notify` and whom the access model lets in
   * (presence sharers without a subscription: open nodes only); those the
   * owner blocks are filtered out afterwards (filterRecipients).
   */
  async implicitRecipients(loaded: LoadedNode): Promise<string[]> {
    const owner = loaded.service;
    const out: string[] = [];
    for (const s of this.ctx.sessions.available(owner)) {
      const full = `${owner}/${s.resource}`;
      const caps = s.presence ? capsOf(parseXml(s.presence)) : undefined;
      if (!caps) continue;
      const nodes = this.caps.known(caps, full);
      if (nodes !== undefined) {
        if (nodes.has(loaded.node)) out.push(full);
        continue;
      }
      // Not known yet (e.g. the partition moved here): ask, and catch up once answered.
      this.caps.resolve(owner, full, caps, (learned) => {
        if (learned.has(loaded.node))
          this.defer(() => this.sendLastItems(owner, full, new Set([loaded.node])));
      });
    }
    const state = this.state.get(owner);
    if (!state || state.contacts.size === 0) return out;
    const interested: [string, JID][] = [];
    for (const [full, r] of state.contacts) {
      if (!this.caps.known(r.caps, full)?.has(loaded.node)) continue;
      const jid = tryParseJID(full);
      if (jid) interested.push([full, jid]);
    }
    for (const [full, jid] of interested) {
      if (loaded.config.access_model === 'authorize') continue; // explicit subscribers only
      if (await this.engine.mayRetrieve(loaded, jid)) out.push(full);
    }
    return out;
  }

  /**
   * Resolves what `full` wants notifications for and, once known and when
   * `sendLast`, sends it the last published item of each such node it may
   * see (its initial presence); with the caps it had before (`previous`),
   * only for the nodes it did not ask for then.
   */
  learn(owner: string, full: string, caps: Caps, sendLast: boolean, previous?: Caps): void {
    this.caps.resolve(owner, full, caps, (nodes) => {
      if (!sendLast) return;
      const before = previous ? this.caps.known(previous, full) : undefined;
      const wanted = [...nodes].filter((n) => !before?.has(n));
      if (wanted.length === 0) return;
      this.defer(() => this.sendLastItems(owner, full, new Set(wanted)));
    });
  }

  /** The last published item of each wanted node `full` may see (send_last on presence). */
  async sendLastItems(owner: string, full: string, wanted: ReadonlySet<string>): Promise<void> {
    const jid = tryParseJID(full);
    if (!jid) return;
    const isOwner = jid.toBareString() === owner;
    if (isOwner) {
      // The session may not be marked available yet: this can run before its presence is handled.
      if (!this.ctx.sessions.get(owner, jid.resource)) return;
    } else {
      if (!this.state.get(owner)?.contacts.has(full)) return;
      if (Blocklist.of(await this.ctx.stores.blocklists.get(owner)).matches(jid)) return;
    }
    for (const loaded of await this.engine.listNodes(owner)) {
      if (!wanted.has(loaded.node)) continue;
      if (loaded.config.send_last_published_item !== 'on_sub_and_presence') continue;
      if (!isOwner && loaded.config.access_model === 'authorize') continue;
      if (!isOwner && !(await this.engine.mayRetrieve(loaded, jid))) continue;
      await this.engine.sendLastItem(loaded, full);
    }
  }

  /**
   * Available presence of a contact's resource reached the owner (broadcast,
   * probe answer, or the contact partition's marker). `initial`: the
   * resource just became available to us, so it gets the last items.
   */
  contactAvailable(
    owner: string,
    full: string,
    caps: Caps | undefined,
    opts: { viaMarker: boolean; sendLast: boolean },
  ): void {
    const state = this.stateOf(owner);
    const prev = state.contacts.get(full);
    const effective = caps ?? prev?.caps; // XEP-0115: caps may be left out of later presence
    if (!effective) return;
    state.contacts.delete(full);
    if (state.contacts.size >= MAX_CONTACT_RESOURCES) {
      const oldest = state.contacts.keys().next();
      if (!oldest.done) state.contacts.delete(oldest.value);
    }
    state.contacts.set(full, {
      caps: effective,
      viaMarker: opts.viaMarker && (prev?.viaMarker ?? true),
    });
    const changed = !prev || capsKey(prev.caps) !== capsKey(effective);
    if (changed) this.learn(owner, full, effective, opts.sendLast, prev?.caps);
  }

  /** The contact's resource went away; returns what was known of it. */
  contactUnavailable(owner: string, full: string): ContactResource | undefined {
    const state = this.state.get(owner);
    const prev = state?.contacts.get(full);
    if (prev) state!.contacts.delete(full);
    return prev;
  }
}

/** The PEP runtime, provided by the pep module to the modules that require it. */
export const PEP = new ServiceKey<PepRuntime>('pep');
