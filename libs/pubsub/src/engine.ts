import { randomUUID } from 'node:crypto';
import type { JID } from '@parley/jid';
import { bareOf, tryParseJID } from '@parley/jid';
import { buildForm, findForm, parseBoolean } from '@parley/stanza';
import type { StanzaError, SubmittedForm } from '@parley/stanza';
import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '@parley/store';
import { PUBSUB_AFFILIATIONS } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { errors, pubsubError, unsupported } from './errors.js';
import {
  configurationEvent,
  deleteEvent,
  itemElement,
  itemsEvent,
  notification,
  purgeEvent,
  subscriptionEvent,
} from './events.js';
import {
  applyConfigForm,
  configForm,
  configFromStored,
  configToStored,
  effectiveMaxItems,
  unmetPrecondition,
} from './node-config.js';
import type { ConfigLimits, NodeConfig } from './node-config.js';
import {
  NS_META_DATA,
  NS_NODE_CONFIG,
  NS_PUBLISH_OPTIONS,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  NS_RSM,
  NS_SUBSCRIBE_AUTHORIZATION,
} from './ns.js';

/** The requester's item in a node owner's roster (presence and roster access models). */
export interface RosterRelation {
  subscription: 'none' | 'to' | 'from' | 'both';
  groups: string[];
}

/** What the engine needs from its surroundings. */
export interface PubsubHost {
  store: PubsubStore;
  /** Sends a stanza the engine built (notifications, authorization requests); from/to are set. */
  send(stanza: Element): void;
  /** `contact`'s item in `owner`'s roster, if any. */
  rosterItem(owner: string, contact: string): Promise<RosterRelation | undefined>;
  /**
   * Runs work that should follow the IQ reply (the last published item after
   * a subscription). Default: runs it at once.
   */
  defer?(task: () => Promise<void>): void;
  now?(): number;
}

/** A node as the engine sees it: the stored record with its parsed configuration. */
export interface LoadedNode {
  service: string;
  node: string;
  config: NodeConfig;
  record: PubsubNode;
}

export interface PublishedEvent {
  service: string;
  node: LoadedNode;
  item: PubsubItem;
  /** Item ids trimmed away because the node is full. */
  trimmed: string[];
  /** True when a module published it through `publishItem` with `internal: true`. */
  internal: boolean;
}

export interface RetractedEvent {
  service: string;
  node: LoadedNode;
  ids: string[];
  internal: boolean;
}

/** How one kind of service behaves: PEP (a service per account) or a pubsub component. */
export interface ServiceProfile {
  /** PEP: the service JID is an account, which owns every node of it (XEP-0163). */
  pep: boolean;
  /** Configuration of new nodes. */
  defaults: NodeConfig;
  limits: ConfigLimits;
  /** Largest payload accepted, in bytes of serialized XML. */
  maxPayloadBytes: number;
  /** Publishing to a missing node creates it (XEP-0060 7.1.4). */
  autoCreate: boolean;
  /**
   * Most nodes one service may have (PEP: per account); undefined or 0 =
   * unlimited. A client creating one more, explicitly or by publishing, gets
   * <policy-violation/> + <max-nodes-exceeded/>; internal publications (a
   * module mirroring data to a node of its own) are not held to it.
   */
  maxNodes?: number;
  /** Whether `requester` may create nodes on `service`. */
  canCreate(service: string, requester: JID): boolean | Promise<boolean>;
  /**
   * Recipients besides explicit subscribers (PEP: the owner's resources and
   * contacts whose entity capabilities ask for `<node>+notify`). Full or
   * bare JIDs, already checked against the node's access model.
   */
  implicitRecipients?(node: LoadedNode): string[] | Promise<string[]>;
  /**
   * Last word on who gets a notification about the node (PEP: nobody the
   * owner blocks, XEP-0163 section 4.3.3).
   */
  filterRecipients?(node: LoadedNode, recipients: string[]): string[] | Promise<string[]>;
  onPublished?(ev: PublishedEvent): void | Promise<void>;
  onRetracted?(ev: RetractedEvent): void | Promise<void>;
}

/** Options of a publication a server module makes on the owner's behalf. */
export interface InternalPublish {
  id?: string;
  payload?: Element;
  /** Preconditions / configuration when auto-creating (publish-options form values by var). */
  options?: Record<string, string | string[]>;
  /** The publisher recorded with the item; default: the service (its owner for PEP). */
  publisher?: string;
  /** Suppresses the onPublished hook (a module mirroring data must not loop). */
  internal?: boolean;
}

type Operation = 'items' | 'subscribe';

const OWNER_AFFS: ReadonlySet<PubsubAffiliation> = new Set(['owner']);
const PUBLISH_AFFS: ReadonlySet<PubsubAffiliation> = new Set([
  'owner',
  'publisher',
  'publish-only',
]);
const AFFILIATIONS: ReadonlySet<string> = new Set(PUBSUB_AFFILIATIONS);

/**
 * A storage-backed XEP-0060 service: answers pubsub IQs for any service JID
 * (a pubsub component, or an account for PEP), keeps nodes, items,
 * subscriptions and affiliations in a PubsubStore and sends event
 * notifications through the host. Pure logic: it owns no state besides the
 * store, so any number of services share one engine.
 */
export class PubsubEngine {
  private readonly store: PubsubStore;

  constructor(
    private readonly host: PubsubHost,
    readonly profile: ServiceProfile,
  ) {
    this.store = host.store;
  }

  private now(): number {
    return this.host.now?.() ?? Date.now();
  }

  private defer(task: () => Promise<void>): void {
    if (this.host.defer) this.host.defer(task);
    else void task().catch(() => {});
  }

  /* ---------------------------------------------------------------- */
  /* IQ entry point                                                    */
  /* ---------------------------------------------------------------- */

  /**
   * Answers an IQ whose payload is `<pubsub xmlns='…pubsub'>` or
   * `<pubsub xmlns='…pubsub#owner'>` addressed to `service`. Returns the
   * result payload (undefined: empty result); throws a StanzaError.
   */
  async handleIq(
    service: string,
    from: JID,
    type: 'get' | 'set',
    pubsub: Element,
  ): Promise<Element | undefined> {
    const ns = pubsub.getNS();
    const children = pubsub.getChildElements();
    const first = children[0];
    if (!first || !pubsub.is('pubsub')) throw errors.badRequest('empty pubsub request');
    if (ns === NS_PUBSUB) {
      const name = first.localName;
      if (type === 'set') {
        switch (name) {
          case 'create':
            return this.iqCreate(service, from, first, pubsub.getChild('configure', NS_PUBSUB));
          case 'publish':
            return this.iqPublish(
              service,
              from,
              first,
              pubsub.getChild('publish-options', NS_PUBSUB),
            );
          case 'retract':
            return this.iqRetract(service, from, first);
          case 'subscribe':
            return this.iqSubscribe(service, from, first);
          case 'unsubscribe':
            return this.iqUnsubscribe(service, from, first);
          case 'options':
            throw unsupported('subscription-options');
        }
      } else {
        switch (name) {
          case 'items':
            return this.iqItems(service, from, first, pubsub.getChild('set', NS_RSM));
          case 'subscriptions':
            return this.iqSubscriptions(service, from, first);
          case 'affiliations':
            return this.iqAffiliations(service, from, first);
          case 'options':
            throw unsupported('subscription-options');
          case 'default':
            throw unsupported('retrieve-default-sub');
        }
      }
      throw errors.badRequest(`unexpected <${name}/> in an IQ ${type}`);
    }
    if (ns === NS_PUBSUB_OWNER) {
      const name = first.localName;
      if (type === 'get') {
        switch (name) {
          case 'configure':
            return this.iqConfigureGet(service, from, first);
          case 'default':
            return xml(
              'pubsub',
              { xmlns: NS_PUBSUB_OWNER },
              xml('default', {}, configForm(this.profile.defaults, 'form')),
            );
          case 'subscriptions':
            return this.iqOwnerSubscriptionsGet(service, from, first);
          case 'affiliations':
            return this.iqOwnerAffiliationsGet(service, from, first);
        }
      } else {
        switch (name) {
          case 'configure':
            return this.iqConfigureSet(service, from, first);
          case 'delete':
            return this.iqDelete(service, from, first);
          case 'purge':
            return this.iqPurge(service, from, first);
          case 'subscriptions':
            return this.iqOwnerSubscriptionsSet(service, from, first);
          case 'affiliations':
            return this.iqOwnerAffiliationsSet(service, from, first);
        }
      }
      throw errors.badRequest(`unexpected <${name}/> in an IQ ${type}`);
    }
    throw errors.badRequest('not a pubsub request');
  }

  /* ---------------------------------------------------------------- */
  /* Nodes, affiliations, access                                       */
  /* ---------------------------------------------------------------- */

  async getNode(service: string, node: string): Promise<LoadedNode | undefined> {
    const record = await this.store.getNode(service, node);
    return record && this.load(record);
  }

  private load(record: PubsubNode): LoadedNode {
    return {
      service: record.service,
      node: record.node,
      config: configFromStored(record.config, this.profile.defaults),
      record,
    };
  }

  private async mustGetNode(service: string, node: string | undefined): Promise<LoadedNode> {
    if (node === undefined || node === '') throw errors.nodeidRequired();
    const loaded = await this.getNode(service, node);
    if (!loaded) throw errors.itemNotFound('no such node');
    return loaded;
  }

  async listNodes(service: string): Promise<LoadedNode[]> {
    return (await this.store.listNodes(service)).map((r) => this.load(r));
  }

  /** The requester's affiliation with a node (PEP: the account owns every node). */
  async affiliation(loaded: LoadedNode, who: JID): Promise<PubsubAffiliation> {
    const bare = who.toBareString();
    if (this.profile.pep && bare === loaded.service) return 'owner';
    const affs = await this.store.affiliations(loaded.service, loaded.node);
    const full = who.toString();
    let found: PubsubAffiliation = 'none';
    for (const a of affs) {
      if (a.jid === full) return a.affiliation;
      if (a.jid === bare) found = a.affiliation;
    }
    return found;
  }

  /** The node's owners as bare JIDs (PEP: the account). */
  async owners(loaded: LoadedNode): Promise<string[]> {
    if (this.profile.pep) return [loaded.service];
    return (await this.store.affiliations(loaded.service, loaded.node))
      .filter((a) => OWNER_AFFS.has(a.affiliation))
      .map((a) => a.jid);
  }

  /**
   * Throws the XEP-0060 error when `who` may not retrieve items from (or
   * subscribe to) the node under its access model and affiliation.
   */
  async checkAccess(loaded: LoadedNode, who: JID, op: Operation): Promise<PubsubAffiliation> {
    const aff = await this.affiliation(loaded, who);
    const err = await this.accessError(loaded, who, op, aff);
    if (err) throw err;
    return aff;
  }

  /** Whether `who` may retrieve the node's items (no error thrown). */
  async mayRetrieve(loaded: LoadedNode, who: JID): Promise<boolean> {
    const aff = await this.affiliation(loaded, who);
    return (await this.accessError(loaded, who, 'items', aff)) === undefined;
  }

  private async accessError(
    loaded: LoadedNode,
    who: JID,
    op: Operation,
    aff: PubsubAffiliation,
  ): Promise<StanzaError | undefined> {
    if (aff === 'outcast') return errors.forbidden();
    if (aff === 'owner' || aff === 'publisher') return undefined;
    if (aff === 'publish-only') return errors.forbidden('publish-only affiliation');
    if (aff === 'member') return undefined;
    const bare = who.toBareString();
    switch (loaded.config.access_model) {
      case 'open':
        return undefined;
      case 'presence': {
        for (const owner of await this.owners(loaded)) {
          const rel = await this.host.rosterItem(owner, bare);
          if (rel && (rel.subscription === 'from' || rel.subscription === 'both')) return undefined;
        }
        return errors.presenceSubscriptionRequired();
      }
      case 'roster': {
        const allowed = new Set(loaded.config.roster_groups_allowed);
        for (const owner of await this.owners(loaded)) {
          const rel = await this.host.rosterItem(owner, bare);
          if (
            rel &&
            (rel.subscription === 'from' || rel.subscription === 'both') &&
            rel.groups.some((g) => allowed.has(g))
          )
            return undefined;
        }
        return errors.notInRosterGroup();
      }
      case 'whitelist':
        return errors.closedNode();
      case 'authorize': {
        if (op === 'subscribe') return undefined; // becomes a pending subscription
        const subs = await this.subscriptionsFor(loaded, who);
        return subs.some((s) => s.state === 'subscribed') ? undefined : errors.notSubscribedAuth();
      }
    }
  }

  /** Subscriptions of exactly `who` (full JID) and of its bare JID on a node. */
  private async subscriptionsFor(loaded: LoadedNode, who: JID): Promise<PubsubSubscription[]> {
    const bare = who.toBareString();
    const full = who.toString();
    return (await this.store.subscriptions(loaded.service, loaded.node)).filter(
      (s) => s.jid === bare || s.jid === full,
    );
  }

  /* ---------------------------------------------------------------- */
  /* Notifications                                                     */
  /* ---------------------------------------------------------------- */

  /**
   * Everyone a notification about the node goes to: explicit subscribers
   * (state subscribed, still allowed by the access model) and the profile's
   * implicit recipients. A bare-JID subscription is covered by implicit
   * full-JID recipients of the same account.
   */
  async recipients(loaded: LoadedNode): Promise<string[]> {
    const implicit = (await this.profile.implicitRecipients?.(loaded)) ?? [];
    const out = new Set(implicit);
    const implicitBares = new Set(implicit.map((j) => bareOf(j)));
    for (const sub of await this.store.subscriptions(loaded.service, loaded.node)) {
      if (sub.state !== 'subscribed' || out.has(sub.jid)) continue;
      if (!sub.jid.includes('/') && implicitBares.has(sub.jid)) continue;
      const jid = tryParseJID(sub.jid);
      if (!jid) continue;
      const aff = await this.affiliation(loaded, jid);
      if ((await this.accessError(loaded, jid, 'subscribe', aff)) !== undefined) continue;
      out.add(sub.jid);
    }
    const all = [...out];
    return this.profile.filterRecipients ? this.profile.filterRecipients(loaded, all) : all;
  }

  private broadcast(loaded: LoadedNode, recipients: readonly string[], event: Element): void {
    for (const to of recipients)
      this.host.send(notification(loaded.service, to, loaded.config.notification_type, event));
  }

  /**
   * Sends the newest item of the node to `to` as a delayed notification
   * (last published item on subscription or on presence).
   */
  async sendLastItem(loaded: LoadedNode, to: string): Promise<boolean> {
    const { items } = await this.store.items(loaded.service, loaded.node, { max: 1 });
    const item = items[0];
    if (!item) return false;
    const event = itemsEvent(loaded.node, [itemElement(item, loaded.config.deliver_payloads)]);
    this.host.send(
      notification(loaded.service, to, loaded.config.notification_type, event, {
        stamp: item.ts,
        from: loaded.service,
      }),
    );
    return true;
  }

  /* ---------------------------------------------------------------- */
  /* Create, configure, delete, purge                                  */
  /* ---------------------------------------------------------------- */

  private async iqCreate(
    service: string,
    from: JID,
    create: Element,
    configure: Element | undefined,
  ): Promise<Element | undefined> {
    if (configure?.attr('node') !== undefined)
      throw errors.badRequest('<configure/> may not name a node when creating one');
    const requested = create.attr('node');
    const instant = requested === undefined || requested === '';
    const node = instant ? randomUUID() : requested;
    const form = configure ? findForm(configure) : undefined;
    if (form && form.formType !== undefined && form.formType !== NS_NODE_CONFIG)
      throw errors.badRequest('unexpected FORM_TYPE');
    await this.checkNodeQuota(service);
    await this.createNode(service, node, from, form);
    return instant ? xml('pubsub', { xmlns: NS_PUBSUB }, xml('create', { node })) : undefined;
  }

  /** `maxNodes` of the profile: the service may not get one more node. */
  private async checkNodeQuota(service: string): Promise<void> {
    const max = this.profile.maxNodes;
    if (max === undefined || max === 0) return;
    if ((await this.store.listNodes(service)).length >= max)
      throw errors.maxNodesExceeded(`at most ${max} nodes here`);
  }

  /** Creates a node on behalf of `creator` (owner affiliation), with an optional config form. */
  async createNode(
    service: string,
    node: string,
    creator: JID,
    form?: SubmittedForm,
  ): Promise<LoadedNode> {
    if (!(await this.profile.canCreate(service, creator)))
      throw errors.forbidden('you may not create nodes here');
    const config = form
      ? applyConfigForm(this.profile.defaults, form, this.profile.limits)
      : this.profile.defaults;
    const record: PubsubNode = {
      service,
      node,
      config: configToStored(config),
      createdAt: this.now(),
    };
    if (!(await this.store.createNode(record))) throw errors.conflict('the node exists');
    const creatorBare = creator.toBareString();
    if (!(this.profile.pep && creatorBare === service))
      await this.store.setAffiliation(service, node, creatorBare, 'owner');
    return this.load(record);
  }

  /** The node an owner request names (its `node` attribute); `forbidden` unless `from` owns it. */
  private async ownedNode(service: string, el: Element, from: JID): Promise<LoadedNode> {
    const loaded = await this.mustGetNode(service, el.attr('node'));
    if ((await this.affiliation(loaded, from)) !== 'owner')
      throw errors.forbidden('only an owner may do this');
    return loaded;
  }

  private async iqConfigureGet(service: string, from: JID, el: Element): Promise<Element> {
    const loaded = await this.ownedNode(service, el, from);
    return xml(
      'pubsub',
      { xmlns: NS_PUBSUB_OWNER },
      xml('configure', { node: loaded.node }, configForm(loaded.config, 'form')),
    );
  }

  private async iqConfigureSet(service: string, from: JID, el: Element): Promise<undefined> {
    const loaded = await this.ownedNode(service, el, from);
    const form = findForm(el);
    if (!form) throw errors.badRequest('a configuration form is required');
    if (form.type === 'cancel') return undefined;
    if (form.formType !== undefined && form.formType !== NS_NODE_CONFIG)
      throw errors.badRequest('unexpected FORM_TYPE');
    const config = applyConfigForm(loaded.config, form, this.profile.limits);
    await this.reconfigure(loaded, config);
    return undefined;
  }

  /** Stores a new configuration: trims items, drops subscriptions no longer allowed, notifies. */
  async reconfigure(loaded: LoadedNode, config: NodeConfig): Promise<LoadedNode> {
    const record: PubsubNode = { ...loaded.record, config: configToStored(config) };
    if (!(await this.store.updateNode(record))) throw errors.itemNotFound('no such node');
    const updated = this.load(record);
    const keep = effectiveMaxItems(config, this.profile.limits);
    if (keep < effectiveMaxItems(loaded.config, this.profile.limits)) {
      const { items } = await this.store.items(loaded.service, loaded.node);
      for (const item of items.slice(keep))
        await this.store.retract(loaded.service, loaded.node, item.id);
    }
    if (config.access_model !== loaded.config.access_model) {
      for (const sub of await this.store.subscriptions(loaded.service, loaded.node)) {
        const jid = tryParseJID(sub.jid);
        if (!jid) continue;
        const aff = await this.affiliation(updated, jid);
        if ((await this.accessError(updated, jid, 'subscribe', aff)) !== undefined)
          await this.store.removeSubscription(loaded.service, loaded.node, sub.jid, sub.subid);
      }
    }
    if (config.notify_config) {
      const event = configurationEvent(
        loaded.node,
        config.deliver_payloads ? configForm(config, 'result') : undefined,
      );
      this.broadcast(updated, await this.recipients(updated), event);
    }
    return updated;
  }

  private async iqDelete(service: string, from: JID, el: Element): Promise<undefined> {
    const loaded = await this.ownedNode(service, el, from);
    await this.deleteNode(loaded, el.getChild('redirect')?.attr('uri'));
    return undefined;
  }

  /** Deletes a node with its items and subscriptions, then tells its subscribers. */
  async deleteNode(loaded: LoadedNode, redirect?: string): Promise<void> {
    const recipients = loaded.config.notify_delete ? await this.recipients(loaded) : [];
    for (const sub of await this.store.subscriptions(loaded.service, loaded.node))
      if (sub.state !== 'subscribed' && loaded.config.notify_delete) recipients.push(sub.jid);
    await this.store.deleteNode(loaded.service, loaded.node);
    this.broadcast(loaded, [...new Set(recipients)], deleteEvent(loaded.node, redirect));
  }

  private async iqPurge(service: string, from: JID, el: Element): Promise<undefined> {
    const loaded = await this.ownedNode(service, el, from);
    if (!loaded.config.persist_items) throw unsupported('persistent-items');
    await this.store.purge(service, loaded.node);
    if (loaded.config.notify_retract)
      this.broadcast(loaded, await this.recipients(loaded), purgeEvent(loaded.node));
    return undefined;
  }

  /* ---------------------------------------------------------------- */
  /* Publish, retract, items                                           */
  /* ---------------------------------------------------------------- */

  private async iqPublish(
    service: string,
    from: JID,
    publish: Element,
    publishOptions: Element | undefined,
  ): Promise<Element> {
    const node = publish.attr('node');
    if (node === undefined || node === '') throw errors.nodeidRequired();
    const items = publish.getChildren('item');
    if (items.length > 1) throw errors.badRequest('one item per publish request');
    const itemEl = items[0];
    if (!itemEl) throw errors.itemRequired();
    const payloads = itemEl.getChildElements();
    if (payloads.length > 1) throw errors.invalidPayload('one payload per item');
    let options: SubmittedForm | undefined;
    if (publishOptions) {
      options = findForm(publishOptions);
      if (options?.type === 'cancel') options = undefined;
      if (
        options?.formType !== undefined &&
        options.formType !== NS_PUBLISH_OPTIONS &&
        options.formType !== NS_NODE_CONFIG
      )
        throw errors.badRequest('unexpected FORM_TYPE in publish-options');
    }
    const id = await this.publish(service, node, from, itemEl.attr('id'), payloads[0], options, {
      internal: false,
    });
    return xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id })));
  }

  /** Publication by a server module on the service owner's behalf (no permission checks). */
  async publishItem(service: string, node: string, opts: InternalPublish): Promise<string> {
    const options: SubmittedForm | undefined = opts.options
      ? {
          type: 'submit',
          fields: new Map(
            Object.entries(opts.options).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
          ),
        }
      : undefined;
    return this.publish(service, node, undefined, opts.id, opts.payload, options, {
      internal: opts.internal ?? false,
      publisher: opts.publisher ?? service,
    });
  }

  /**
   * The publish use case (XEP-0060 7.1): auto-create with publish-options as
   * configuration, preconditions, permission, payload checks, storage with
   * trimming, notifications. `from` undefined: the service owner itself.
   */
  private async publish(
    service: string,
    node: string,
    from: JID | undefined,
    requestedId: string | undefined,
    payload: Element | undefined,
    options: SubmittedForm | undefined,
    opts: { internal: boolean; publisher?: string },
  ): Promise<string> {
    let loaded = await this.getNode(service, node);
    if (!loaded) {
      if (!this.profile.autoCreate) throw errors.itemNotFound('no such node');
      const creator = from ?? tryParseJID(service);
      if (!creator) throw errors.itemNotFound('no such node');
      if (!opts.internal) await this.checkNodeQuota(service);
      try {
        loaded = await this.createNode(service, node, creator, options);
      } catch (err) {
        // Lost a creation race: publish to the node that now exists.
        const existing = await this.getNode(service, node);
        if (!existing) throw err;
        loaded = existing;
      }
    }
    if (options) {
      const unmet = unmetPrecondition(loaded.config, options, this.profile.limits);
      if (unmet !== undefined)
        throw errors.preconditionNotMet(`the node's ${unmet} does not match`);
    }
    if (from) await this.checkPublish(loaded, from);
    const config = loaded.config;
    if (config.persist_items && config.deliver_payloads && payload === undefined)
      throw errors.payloadRequired();
    let serialized = '';
    if (payload) {
      if (config.type !== '' && payload.getNS() !== config.type)
        throw errors.invalidPayload(`this node takes ${config.type} payloads`);
      serialized = standalone(payload).toString();
      if (Buffer.byteLength(serialized) > this.profile.maxPayloadBytes)
        throw errors.payloadTooBig();
    }
    const item: PubsubItem = {
      id: requestedId !== undefined && requestedId !== '' ? requestedId : randomUUID(),
      publisher: opts.publisher ?? from?.toString() ?? service,
      ts: this.now(),
      payload: serialized,
    };
    const trimmed = await this.store.publish(
      service,
      node,
      item,
      effectiveMaxItems(config, this.profile.limits),
    );
    if (config.deliver_notifications) {
      const recipients = await this.recipients(loaded);
      const published = itemElement(item, config.deliver_payloads);
      const retracted = config.notify_retract ? trimmed.filter((id) => id !== item.id) : [];
      this.broadcast(loaded, recipients, itemsEvent(node, [published], retracted));
    }
    await this.profile.onPublished?.({
      service,
      node: loaded,
      item,
      trimmed,
      internal: opts.internal,
    });
    return item.id;
  }

  private async checkPublish(loaded: LoadedNode, from: JID): Promise<void> {
    const aff = await this.affiliation(loaded, from);
    if (aff === 'outcast') throw errors.forbidden();
    if (PUBLISH_AFFS.has(aff)) return;
    if (loaded.config.publish_model === 'open') return;
    if (loaded.config.publish_model === 'subscribers') {
      const subs = await this.subscriptionsFor(loaded, from);
      if (subs.some((s) => s.state === 'subscribed')) return;
    }
    throw errors.forbidden('you may not publish to this node');
  }

  private async iqRetract(service: string, from: JID, el: Element): Promise<undefined> {
    const node = el.attr('node');
    if (node === undefined || node === '') throw errors.nodeidRequired();
    const ids = el.getChildren('item').map((i) => i.attr('id'));
    if (ids.length === 0 || ids.some((id) => id === undefined || id === ''))
      throw errors.itemRequired();
    const loaded = await this.mustGetNode(service, node);
    if (!loaded.config.persist_items) throw unsupported('persistent-items');
    const aff = await this.affiliation(loaded, from);
    const notifyAttr = parseBoolean(el.attr('notify'));
    const notify = notifyAttr ?? loaded.config.notify_retract;
    for (const id of ids as string[]) {
      if (aff !== 'owner' && aff !== 'publisher') {
        const { items } = await this.store.items(service, node, { ids: [id] });
        const item = items[0];
        if (!item) throw errors.itemNotFound('no such item');
        await this.checkPublish(loaded, from);
        if (bareOf(item.publisher) !== from.toBareString())
          throw errors.forbidden('you may only retract your own items');
      }
    }
    const removed: string[] = [];
    for (const id of ids as string[])
      if (await this.store.retract(service, node, id)) removed.push(id);
    if (removed.length === 0) throw errors.itemNotFound('no such item');
    if (notify)
      this.broadcast(loaded, await this.recipients(loaded), itemsEvent(node, [], removed));
    await this.profile.onRetracted?.({ service, node: loaded, ids: removed, internal: false });
    return undefined;
  }

  /** Retraction by a server module on the owner's behalf. */
  async retractItem(
    service: string,
    node: string,
    id: string,
    opts: { notify?: boolean; internal?: boolean } = {},
  ): Promise<boolean> {
    const loaded = await this.getNode(service, node);
    if (!loaded || !(await this.store.retract(service, node, id))) return false;
    if (opts.notify ?? loaded.config.notify_retract)
      this.broadcast(loaded, await this.recipients(loaded), itemsEvent(node, [], [id]));
    await this.profile.onRetracted?.({
      service,
      node: loaded,
      ids: [id],
      internal: opts.internal ?? false,
    });
    return true;
  }

  /** Items newest first, without access checks (server modules). */
  async getItems(
    service: string,
    node: string,
    opts: { ids?: string[]; max?: number } = {},
  ): Promise<PubsubItem[]> {
    return (await this.store.items(service, node, opts)).items;
  }

  private async iqItems(
    service: string,
    from: JID,
    el: Element,
    rsm: Element | undefined,
  ): Promise<Element> {
    const loaded = await this.mustGetNode(service, el.attr('node'));
    await this.checkAccess(loaded, from, 'items');
    const ids = el
      .getChildren('item')
      .map((i) => i.attr('id'))
      .filter((id): id is string => id !== undefined && id !== '');
    const cap = effectiveMaxItems(loaded.config, this.profile.limits);
    let max = cap;
    const maxAttr = el.attr('max_items');
    if (maxAttr !== undefined) {
      if (!/^\d+$/.test(maxAttr.trim())) throw errors.badRequest('max_items must be a number');
      max = Math.min(max, Number(maxAttr));
    }
    let after: string | undefined;
    if (rsm) {
      const m = rsm.getChildText('max');
      if (m !== undefined) {
        if (!/^\d+$/.test(m.trim())) throw errors.badRequest('RSM max must be a number');
        max = Math.min(max, Number(m));
      }
      const a = rsm.getChildText('after');
      if (a !== undefined && a !== '') after = a;
      if (rsm.getChild('before') !== undefined || rsm.getChild('index') !== undefined)
        throw pubsubError('feature-not-implemented', undefined, {
          text: 'only RSM <max/> and <after/> are supported on items',
        });
    }
    const page =
      ids.length > 0
        ? await this.store.items(service, loaded.node, { ids })
        : await this.store.items(service, loaded.node, {
            max,
            ...(after !== undefined ? { after } : {}),
          });
    if (after !== undefined && page.items.length === 0 && page.count > 0) {
      const known = await this.store.items(service, loaded.node, { ids: [after] });
      if (known.items.length === 0) throw errors.itemNotFound('unknown RSM <after/> item');
    }
    const itemsEl = xml('items', { node: loaded.node });
    for (const item of page.items) itemsEl.append(itemElement(item, true));
    const out = xml('pubsub', { xmlns: NS_PUBSUB }, itemsEl);
    if (rsm) {
      const set = xml('set', { xmlns: NS_RSM });
      const first = page.items[0];
      const last = page.items[page.items.length - 1];
      if (first && last) {
        set.append(xml('first', {}, first.id));
        set.append(xml('last', {}, last.id));
      }
      set.append(xml('count', {}, String(page.count)));
      out.append(set);
    }
    return out;
  }

  /* ---------------------------------------------------------------- */
  /* Subscriptions and affiliations                                    */
  /* ---------------------------------------------------------------- */

  private async iqSubscribe(service: string, from: JID, el: Element): Promise<Element> {
    const node = el.attr('node');
    if (node === undefined || node === '') throw errors.nodeidRequired();
    const rawJid = el.attr('jid');
    if (rawJid === undefined) throw errors.jidRequired();
    const jid = tryParseJID(rawJid);
    if (!jid || jid.toBareString() !== from.toBareString()) throw errors.invalidJid();
    const loaded = await this.mustGetNode(service, node);
    if (!loaded.config.subscribe) throw unsupported('subscribe');
    const aff = await this.checkAccess(loaded, jid, 'subscribe');
    const subscriber = jid.toString();
    const existing = (await this.store.subscriptions(service, node)).find(
      (s) => s.jid === subscriber,
    );
    if (existing?.state === 'pending') throw errors.pendingSubscription();
    if (existing) return subscriptionResult(node, existing);
    const pending =
      loaded.config.access_model === 'authorize' &&
      aff !== 'owner' &&
      aff !== 'publisher' &&
      aff !== 'member';
    const sub: PubsubSubscription = {
      jid: subscriber,
      subid: randomUUID(),
      state: pending ? 'pending' : 'subscribed',
    };
    await this.store.setSubscription(service, node, sub);
    if (pending) {
      for (const owner of await this.owners(loaded))
        this.host.send(authorizationRequest(service, owner, node, subscriber));
    } else {
      if (loaded.config.notify_sub) await this.notifyOwnersOfSubscription(loaded, sub);
      if (loaded.config.send_last_published_item !== 'never')
        this.defer(async () => void (await this.sendLastItem(loaded, subscriber)));
    }
    return subscriptionResult(node, sub);
  }

  private async notifyOwnersOfSubscription(
    loaded: LoadedNode,
    sub: { jid: string; state: string; subid?: string },
  ): Promise<void> {
    const event = subscriptionEvent(loaded.node, sub.jid, sub.state, sub.subid);
    this.broadcast(loaded, await this.owners(loaded), event);
  }

  private async iqUnsubscribe(service: string, from: JID, el: Element): Promise<undefined> {
    const node = el.attr('node');
    if (node === undefined || node === '') throw errors.nodeidRequired();
    const rawJid = el.attr('jid');
    if (rawJid === undefined) throw errors.jidRequired();
    const jid = tryParseJID(rawJid);
    if (!jid) throw errors.invalidJid();
    const loaded = await this.mustGetNode(service, node);
    if (
      jid.toBareString() !== from.toBareString() &&
      (await this.affiliation(loaded, from)) !== 'owner'
    )
      throw errors.forbidden('you may not unsubscribe this JID');
    const subscriber = jid.toString();
    const subs = (await this.store.subscriptions(service, node)).filter(
      (s) => s.jid === subscriber,
    );
    if (subs.length === 0) throw errors.notSubscribed();
    const subid = el.attr('subid');
    if (subid !== undefined && subid !== '' && !subs.some((s) => s.subid === subid))
      throw errors.invalidSubid();
    await this.store.removeSubscription(service, node, subscriber);
    if (loaded.config.notify_sub)
      await this.notifyOwnersOfSubscription(loaded, { jid: subscriber, state: 'none' });
    return undefined;
  }

  private async iqSubscriptions(service: string, from: JID, el: Element): Promise<Element> {
    const node = el.attr('node');
    const bare = from.toBareString();
    const list = xml('subscriptions', { node });
    let subs: (PubsubSubscription & { node: string })[];
    if (node !== undefined) {
      const loaded = await this.mustGetNode(service, node);
      subs = (await this.store.subscriptions(service, loaded.node))
        .filter((s) => bareOf(s.jid) === bare)
        .map((s) => ({ ...s, node: loaded.node }));
    } else {
      const seen = new Set<string>();
      subs = [];
      for (const who of new Set([bare, from.toString()]))
        for (const s of await this.store.subscriptionsOf(service, who)) {
          const key = `${s.node}\n${s.jid}\n${s.subid}`;
          if (seen.has(key)) continue;
          seen.add(key);
          subs.push(s);
        }
    }
    for (const s of subs)
      list.append(
        xml('subscription', { node: s.node, jid: s.jid, subscription: s.state, subid: s.subid }),
      );
    return xml('pubsub', { xmlns: NS_PUBSUB }, list);
  }

  private async iqAffiliations(service: string, from: JID, el: Element): Promise<Element> {
    const node = el.attr('node');
    const list = xml('affiliations', { node });
    const nodes =
      node !== undefined ? [await this.mustGetNode(service, node)] : await this.listNodes(service);
    for (const loaded of nodes) {
      const aff = await this.affiliation(loaded, from.bare());
      if (aff !== 'none') list.append(xml('affiliation', { node: loaded.node, affiliation: aff }));
    }
    return xml('pubsub', { xmlns: NS_PUBSUB }, list);
  }

  private async iqOwnerSubscriptionsGet(service: string, from: JID, el: Element): Promise<Element> {
    const loaded = await this.ownedNode(service, el, from);
    const list = xml('subscriptions', { node: loaded.node });
    for (const s of await this.store.subscriptions(service, loaded.node))
      list.append(xml('subscription', { jid: s.jid, subscription: s.state, subid: s.subid }));
    return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, list);
  }

  private async iqOwnerSubscriptionsSet(
    service: string,
    from: JID,
    el: Element,
  ): Promise<undefined> {
    const loaded = await this.ownedNode(service, el, from);
    const changes: { jid: string; state: string; subid?: string }[] = [];
    for (const s of el.getChildren('subscription')) {
      const jid = tryParseJID(s.attr('jid') ?? '');
      const state = s.attr('subscription');
      if (
        !jid ||
        (state !== undefined && !['none', 'subscribed', 'pending', 'unconfigured'].includes(state))
      )
        throw errors.notAcceptable('invalid subscription entry');
      if (state === undefined) continue;
      changes.push({ jid: jid.toString(), state, subid: s.attr('subid') });
    }
    const current = await this.store.subscriptions(service, loaded.node);
    for (const c of changes) {
      const mine = current.filter((s) => s.jid === c.jid);
      if (c.state === 'none') {
        if (mine.length === 0) continue;
        await this.store.removeSubscription(service, loaded.node, c.jid, c.subid || undefined);
        this.host.send(
          notification(
            service,
            c.jid,
            loaded.config.notification_type,
            subscriptionEvent(loaded.node, c.jid, 'none'),
          ),
        );
        continue;
      }
      const target = (c.subid ? mine.find((s) => s.subid === c.subid) : mine[0]) ?? {
        jid: c.jid,
        subid: randomUUID(),
        state: 'subscribed' as const,
      };
      const wasSubscribed = target.state === 'subscribed' && mine.includes(target);
      const next: PubsubSubscription = {
        ...target,
        state: c.state as PubsubSubscription['state'],
      };
      await this.store.setSubscription(service, loaded.node, next);
      this.host.send(
        notification(
          service,
          c.jid,
          loaded.config.notification_type,
          subscriptionEvent(loaded.node, c.jid, next.state, next.subid),
        ),
      );
      if (
        next.state === 'subscribed' &&
        !wasSubscribed &&
        loaded.config.send_last_published_item !== 'never'
      )
        this.defer(async () => void (await this.sendLastItem(loaded, c.jid)));
    }
    return undefined;
  }

  private async iqOwnerAffiliationsGet(service: string, from: JID, el: Element): Promise<Element> {
    const loaded = await this.ownedNode(service, el, from);
    const list = xml('affiliations', { node: loaded.node });
    if (this.profile.pep) list.append(xml('affiliation', { jid: service, affiliation: 'owner' }));
    for (const a of await this.store.affiliations(service, loaded.node))
      list.append(xml('affiliation', { jid: a.jid, affiliation: a.affiliation }));
    return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, list);
  }

  private async iqOwnerAffiliationsSet(
    service: string,
    from: JID,
    el: Element,
  ): Promise<undefined> {
    const loaded = await this.ownedNode(service, el, from);
    const changes = new Map<string, PubsubAffiliation>();
    for (const a of el.getChildren('affiliation')) {
      const jid = tryParseJID(a.attr('jid') ?? '');
      const aff = a.attr('affiliation');
      if (!jid) throw errors.notAcceptable('invalid affiliation jid');
      if (aff === undefined) continue;
      if (!AFFILIATIONS.has(aff)) throw errors.notAcceptable(`unknown affiliation ${aff}`);
      const key = jid.toString();
      if (changes.has(key)) throw errors.badRequest(`${key} is listed twice`);
      changes.set(key, aff as PubsubAffiliation);
    }
    if (this.profile.pep && changes.has(service) && changes.get(service) !== 'owner')
      throw errors.notAcceptable("the account's own affiliation cannot change");
    changes.delete(service);
    if (!this.profile.pep) {
      const owners = new Set(await this.owners(loaded));
      for (const [jid, aff] of changes) {
        if (aff === 'owner') owners.add(jid);
        else owners.delete(jid);
      }
      if (owners.size === 0) throw errors.notAcceptable('a node needs an owner');
    }
    for (const [jid, aff] of changes) {
      await this.store.setAffiliation(service, loaded.node, jid, aff);
      if (aff === 'outcast') await this.store.removeSubscription(service, loaded.node, jid);
    }
    return undefined;
  }

  /* ---------------------------------------------------------------- */
  /* Messages to the service (subscription authorization, bounces)     */
  /* ---------------------------------------------------------------- */

  /**
   * Handles a message addressed to the service: an owner's answer to a
   * subscription authorization request, or an error bouncing a notification
   * (XEP-0060 12.3: a cancel-type error ends that subscription). Returns
   * whether the message was the engine's.
   */
  async handleMessage(service: string, from: JID, message: Element): Promise<boolean> {
    if (message.attr('type') === 'error') {
      const node = message
        .getChild('event')
        ?.getChildElements()
        .find((c) => c.attr('node') !== undefined)
        ?.attr('node');
      if (node === undefined) return false;
      const err = message.getChild('error');
      if (err?.attr('type') === 'cancel') {
        for (const jid of new Set([from.toString(), from.toBareString()]))
          await this.store.removeSubscription(service, node, jid);
      }
      return true;
    }
    const form = findForm(message);
    if (!form || form.formType !== NS_SUBSCRIBE_AUTHORIZATION) return false;
    if (form.type === 'cancel') return true;
    const node = form.fields.get('pubsub#node')?.[0];
    const subscriber = form.fields.get('pubsub#subscriber_jid')?.[0];
    const allow = parseBoolean(form.fields.get('pubsub#allow')?.[0]);
    if (node === undefined || subscriber === undefined || allow === undefined) return true;
    const loaded = await this.getNode(service, node);
    if (!loaded || (await this.affiliation(loaded, from)) !== 'owner') return true;
    const pending = (await this.store.subscriptions(service, node)).find(
      (s) => s.jid === subscriber && s.state === 'pending',
    );
    if (!pending) return true;
    if (allow) {
      await this.store.setSubscription(service, node, { ...pending, state: 'subscribed' });
      this.host.send(
        notification(
          service,
          subscriber,
          loaded.config.notification_type,
          subscriptionEvent(node, subscriber, 'subscribed', pending.subid),
        ),
      );
      if (loaded.config.send_last_published_item !== 'never')
        await this.sendLastItem(loaded, subscriber);
    } else {
      await this.store.removeSubscription(service, node, subscriber, pending.subid);
      this.host.send(
        notification(
          service,
          subscriber,
          loaded.config.notification_type,
          subscriptionEvent(node, subscriber, 'none'),
        ),
      );
    }
    return true;
  }

  /* ---------------------------------------------------------------- */
  /* Service discovery                                                 */
  /* ---------------------------------------------------------------- */

  /**
   * disco#info of a node: identity pubsub/leaf, the pubsub feature and the
   * meta-data form. Nodes the requester may not retrieve are not disclosed.
   */
  async nodeInfo(service: string, node: string, requester: JID): Promise<Element[]> {
    const loaded = await this.getNode(service, node);
    if (!loaded || !(await this.mayRetrieve(loaded, requester)))
      throw errors.itemNotFound('no such node');
    const c = loaded.config;
    const owners = await this.owners(loaded);
    const meta = buildForm('result', NS_META_DATA, [
      { var: 'pubsub#title', values: c.title ? [c.title] : [] },
      { var: 'pubsub#description', values: c.description ? [c.description] : [] },
      { var: 'pubsub#type', values: c.type ? [c.type] : [] },
      { var: 'pubsub#access_model', values: [c.access_model] },
      { var: 'pubsub#publish_model', values: [c.publish_model] },
      { var: 'pubsub#owner', type: 'jid-multi', values: owners },
      {
        var: 'pubsub#creation_date',
        values: [new Date(loaded.record.createdAt).toISOString()],
      },
    ]);
    return [
      xml('identity', { category: 'pubsub', type: 'leaf' }),
      xml('feature', { var: NS_PUBSUB }),
      meta,
    ];
  }

  /** Nodes of a service the requester may retrieve (disco#items without a node). */
  async visibleNodes(service: string, requester: JID): Promise<LoadedNode[]> {
    const out: LoadedNode[] = [];
    for (const loaded of await this.listNodes(service))
      if (await this.mayRetrieve(loaded, requester)) out.push(loaded);
    return out;
  }

  /** Item ids of a node (disco#items with a node), newest first. */
  async itemIds(service: string, node: string, requester: JID): Promise<string[]> {
    const loaded = await this.getNode(service, node);
    if (!loaded || !(await this.mayRetrieve(loaded, requester)))
      throw errors.itemNotFound('no such node');
    const cap = effectiveMaxItems(loaded.config, this.profile.limits);
    return (await this.store.items(service, node, { max: cap })).items.map((i) => i.id);
  }

  /**
   * The `<item/>`s of a disco#items answer (XEP-0060 5.2 and 5.5): without
   * a node, the nodes the requester may retrieve (with their titles); with
   * one, its item ids as names. The pubsub service and PEP answer with it.
   */
  async discoItems(service: string, node: string | undefined, requester: JID): Promise<Element[]> {
    if (node !== undefined)
      return (await this.itemIds(service, node, requester)).map((id) =>
        xml('item', { jid: service, name: id }),
      );
    return (await this.visibleNodes(service, requester)).map((n) =>
      xml('item', { jid: service, node: n.node, name: n.config.title || undefined }),
    );
  }
}

function subscriptionResult(node: string, sub: PubsubSubscription): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml('subscription', { node, jid: sub.jid, subid: sub.subid, subscription: sub.state }),
  );
}

function authorizationRequest(
  service: string,
  owner: string,
  node: string,
  subscriber: string,
): Element {
  return xml(
    'message',
    { from: service, to: owner, id: `auth-${randomUUID()}` },
    buildForm('form', NS_SUBSCRIBE_AUTHORIZATION, [
      { var: 'pubsub#node', type: 'text-single', label: 'Node ID', values: [node] },
      {
        var: 'pubsub#subscriber_jid',
        type: 'jid-single',
        label: 'Subscriber Address',
        values: [subscriber],
      },
      {
        var: 'pubsub#allow',
        type: 'boolean',
        label: 'Allow this JID to subscribe to this pubsub node?',
        values: ['false'],
      },
    ]),
  );
}

/** A copy of `el` that keeps its namespace when serialized on its own. */
function standalone(el: Element): Element {
  const copy = el.clone();
  const ns = el.getNS();
  if (ns === undefined) return copy;
  const colon = el.name.indexOf(':');
  if (colon === -1) {
    if (copy.attr('xmlns') === undefined) copy.setAttr('xmlns', ns);
  } else {
    const attr = `xmlns:${el.name.slice(0, colon)}`;
    if (copy.attr(attr) === undefined) copy.setAttr(attr, ns);
  }
  return copy;
}
