import { randomBytes } from 'node:crypto';
import type { Bus } from '@parley/bus';
import { NoSessionStore } from '@parley/cluster';
import type { SessionRecord, SessionStore } from '@parley/cluster';
import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import { bareOf, tryParseJID } from '@parley/jid';
import type { Envelope, GatewayMessage, InboundRoutes, Undelivered } from '@parley/routing';
import {
  BusProtocol,
  bounceOf,
  envelopeOf,
  gatewaySubject,
  inboundRoutes,
  inboundSubject,
  isS2sDomain,
  partitionOf,
  publishInbound,
  versioned,
  versionedBus,
} from '@parley/routing';
import type { StanzaError } from '@parley/stanza';
import { canReplyWithError, errorReply, remoteServerNotFound } from '@parley/stanza';
import type { Stores } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';
import { traceparentOf } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import { parseXml } from '@parley/xml';
import { AccountCache } from './account-cache.js';
import { Fences } from './sessions/fence.js';
import type { FilterVerdict } from './hooks.js';
import { Hooks, isErrorVerdict, runFilters, runHooks } from './hooks.js';
import type { ServiceHandler } from './modules/types.js';
import type { SessionEntry } from './sessions/session-table.js';
import { SessionTable } from './sessions/session-table.js';

export interface RegistryDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  logger: Logger;
  metrics: Metrics;
  /** Mirror of the session table (cluster mode); default: none. */
  sessionStore?: SessionStore;
  /** How long a session moving to a new connection waits for the old one's fence-done (fence.ts). */
  fenceTimeoutMs?: number;
}

/**
 * What every rule file and module host of a registry worker works with: the
 * configuration, the versioned bus, the stores, the session table of the
 * owned partitions, the stanza-path hooks, module service domains and
 * resumption fences, and the primitives that deliver, route and bounce.
 */
export class RegistryContext {
  readonly config: Config;
  /** The bus as this release writes to it: every message carries the protocol version. */
  readonly bus: Bus;
  /** Checks what arrives on the bus; counts and logs what this release does not understand. */
  readonly protocol: BusProtocol;
  readonly stores: Stores;
  readonly logger: Logger;
  readonly sessions: SessionTable;
  readonly sessionStore: SessionStore;
  readonly partitions: number;
  readonly domains: Set<string>;
  /** Where stage-'in' stanzas go: registry partitions, or the MUC service's for its domains. */
  readonly routes: InboundRoutes;
  /** What the modules attached to the stanza path. */
  readonly hooks = new Hooks();
  /** Service domains owned by modules (ModuleContext.serviceDomain), e.g. pubsub.<domain>. */
  readonly serviceDomains = new Map<string, { handler: ServiceHandler; module: string }>();
  /** Sessions moving to a new connection (XEP-0198 resumption): deliveries held until the old one is fenced. */
  readonly fences: Fences;
  private readonly caches: AccountCache<unknown>[] = [];
  private readonly delivered;
  /** Offline storage metrics (see offline.ts). */
  readonly offline: {
    messages: ReturnType<Metrics['counter']>;
    queueLength: ReturnType<Metrics['histogram']>;
  };
  private readonly routed;

  constructor(deps: RegistryDeps) {
    this.config = deps.config;
    this.bus = versionedBus(deps.bus);
    this.protocol = new BusProtocol({ metrics: deps.metrics, logger: deps.logger });
    this.stores = deps.stores;
    this.logger = deps.logger;
    this.partitions = deps.config.routing.partitions;
    this.sessionStore = deps.sessionStore ?? new NoSessionStore();
    const mirrored = deps.sessionStore !== undefined;
    this.sessions = new SessionTable(
      mirrored
        ? (bare, resource, entry) => {
            const p = partitionOf(bare, this.partitions);
            const write = entry
              ? this.sessionStore.put(p, toRecord(bare, entry))
              : this.sessionStore.remove(p, bare, resource);
            write.catch((err: unknown) =>
              this.logger.error('session mirror write failed', { bare, err }),
            );
          }
        : undefined,
    );
    this.domains = new Set(deps.config.server.domains);
    this.routes = inboundRoutes(deps.config);
    this.delivered = deps.metrics.counter(
      'parley_router_delivered_total',
      'Stanzas handed to a gateway for delivery',
      ['kind'],
    );
    this.offline = {
      messages: deps.metrics.counter(
        'parley_offline_messages_total',
        'Offline storage (XEP-0160): messages stored, refused because the queue was full, delivered.',
        ['event'],
      ),
      queueLength: deps.metrics.histogram(
        'parley_offline_queue_length',
        "Length of the recipient's offline queue after each stored message.",
        [],
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10000],
      ),
    };
    this.fences = new Fences({
      publish: (subject, msg) => this.bus.publishDurable(subject, msg),
      send: (entry, env) => this.sendNow(entry, env),
      logger: deps.logger,
      metrics: deps.metrics,
      ...(deps.fenceTimeoutMs !== undefined && { timeoutMs: deps.fenceTimeoutMs }),
    });
    this.routed = deps.metrics.counter(
      'parley_router_routed_total',
      'Stanzas forwarded between partitions',
      ['kind'],
    );
  }

  isLocalDomain(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** A domain of the MUC service (XEP-0045): its stanzas go to the MUC partitions. */
  isMucDomain(domain: string): boolean {
    return this.routes.mucDomains.has(domain);
  }

  /**
   * Hands a stanza to the gateway holding the session's socket, or holds it
   * while the session moves to a new connection (fence.ts).
   */
  deliver(entry: SessionEntry, env: Envelope): void {
    if (this.fences.hold(entry, env)) return;
    this.sendNow(entry, env);
  }

  private sendNow(entry: SessionEntry, env: Envelope): void {
    // A delivery keeps the id it got when first handed to a gateway: when it comes back
    // (bounced, drained from a dead gateway, parked, fenced) and is delivered again, a
    // resuming gateway recognizes the copy of a stanza it already retransmitted from the
    // XEP-0198 record and drops it (envelope.ts, Envelope.did).
    const stamped = env.did === undefined ? { ...env, did: deliveryId() } : env;
    const msg: GatewayMessage = versioned({ t: 'deliver', conn: entry.conn, env: traced(stamped) });
    if (entry.jid !== undefined) msg.jid = entry.jid;
    // Durable: a delivery to a gateway that died is bounced back by the reaper. Should it
    // still fail (nobody confirmed it within the retry budget), it is bounced from here:
    // routed again as if that session did not exist, never dropped.
    this.bus.publishDurable(gatewaySubject(entry.gw), msg).catch((err: unknown) => {
      this.logger.warn('delivery not confirmed; bouncing it', { gw: entry.gw, err });
      this.bounceDelivery(msg).catch((e: unknown) => {
        this.logger.error('bounce publish failed', { to: msg.jid ?? env.to, err: e });
      });
    });
    this.delivered.inc({ kind: env.kind });
  }

  /**
   * Hands an undelivered delivery back to its recipient's partition, which
   * routes it again as if that connection did not exist.
   */
  bounceDelivery(m: Undelivered): Promise<void> {
    const bounce = bounceOf(m, this.partitions);
    if (bounce === undefined) return Promise.resolve();
    return this.bus.publishDurable(bounce.subject, bounce.msg);
  }

  /**
   * Sends a stanza on to the home partition of its recipient, for inbound
   * processing (a MUC partition when the recipient is on a MUC domain).
   */
  routeIn(env: Envelope): void {
    const target = tryParseJID(env.to);
    if (!target) return;
    if (inboundSubject(target.toBareString(), target.domain, this.routes) === undefined) {
      // A remote domain without federation (or one not allowed): the sender gets
      // remote-server-not-found unless it may not be answered (errors, presence).
      if (env.kind !== 'presence') this.bounce(this.parse(env), remoteServerNotFound());
      return;
    }
    publishInbound(this.bus, traced(env), target.toBareString(), target.domain, this.routes).catch(
      (err: unknown) => {
        this.logger.error('route publish failed', { to: env.to, err });
      },
    );
    this.routed.inc({ kind: env.kind });
  }

  /** The domain is reached through the S2S service (a remote server or an external component). */
  isS2sDomain(domain: string): boolean {
    return isS2sDomain(domain, this.routes);
  }

  /** Routes a server-built stanza (already carrying from/to) to its recipient. */
  send(el: Element): void {
    this.routeIn(envelopeOf(el, 'in'));
  }

  /** Answers a stanza with an error, unless the stanza may not be answered. */
  bounce(stanza: Element, err: StanzaError): void {
    if (!canReplyWithError(stanza)) return;
    this.send(errorReply(stanza, err));
  }

  /**
   * Answers a local client's stanza with an error straight to the session
   * that sent it (at the sender's partition), without routing it back in:
   * the error comes from the addressee, and inbound filters for that
   * addressee must not stop it.
   */
  replyToSender(env: Envelope, err: StanzaError): void {
    const from = tryParseJID(env.from);
    const stanza = this.parse(env);
    if (!from || !canReplyWithError(stanza)) return;
    const session = this.sessions.get(from.toBareString(), from.resource);
    if (!session) return;
    const reply = errorReply(stanza, err);
    if (!reply.attr('from')) reply.setAttr('from', from.toBareString());
    this.deliver(session, envelopeOf(reply, 'in'));
  }

  /**
   * Routes presence the server generates on a local user's behalf
   * (broadcasts, probes, presence after a roster removal). Outbound filters
   * see it first and may drop it.
   */
  sendOnBehalf(el: Element): void | Promise<void> {
    if (this.hooks.outbound.length === 0) return this.send(el);
    const env = envelopeOf(el, 'in');
    const from = tryParseJID(env.from);
    const to = tryParseJID(env.to);
    if (!from || !to) return;
    const verdict = runFilters(this.hooks.outbound.handlers, { env, from, to, generated: true });
    if (verdict instanceof Promise) return verdict.then((v) => this.routeUnlessFiltered(env, v));
    this.routeUnlessFiltered(env, verdict);
  }

  private routeUnlessFiltered(env: Envelope, verdict: FilterVerdict): void {
    if (verdict === undefined) this.routeIn(env);
    else if (verdict !== 'drop' && !isErrorVerdict(verdict)) this.routeIn(verdict.replace);
  }

  /** Tells the modules a message for `owner` was delivered (or stored: `deliveredTo` empty). */
  messageDelivered(
    owner: string,
    env: Envelope,
    deliveredTo: SessionEntry[],
  ): void | Promise<void> {
    if (this.hooks.delivered.length === 0) return;
    return runHooks(this.hooks.delivered.handlers, owner, env, deliveredTo);
  }

  /** A new per-account cache for a module, emptied for the accounts of a released partition. */
  accountCache<T>(max?: number): AccountCache<T> {
    const cache = new AccountCache<T>(max);
    this.caches.push(cache as AccountCache<unknown>);
    return cache;
  }

  /** The partition moved to another worker: forget its sessions and cached account state. */
  forgetPartition(partition: number): void {
    const inPartition = (bare: string) => partitionOf(bare, this.partitions) === partition;
    // Sessions still moving get what they hold now: nobody else knows about it.
    this.fences.release((e) => e.jid !== undefined && inPartition(bareOf(e.jid)));
    this.sessions.unload(inPartition);
    for (const cache of this.caches) cache.forget(inPartition);
  }

  /** Parses a carried stanza (an envelope's or a stored one). */
  parse(from: Envelope | string): Element {
    return parseXml(typeof from === 'string' ? from : from.xml);
  }
}

export function toRecord(bare: string, e: SessionEntry): SessionRecord {
  const rec: SessionRecord = {
    bare,
    resource: e.resource,
    gw: e.gw,
    conn: e.conn,
    available: e.available,
    priority: e.priority,
    interested: e.interested,
    directed: [...e.directed],
    boundAt: e.boundAt,
  };
  if (e.presence !== undefined) rec.presence = e.presence;
  if (e.flags !== undefined) rec.flags = { ...e.flags };
  if (e.parked === true) rec.parked = true;
  return rec;
}

export function fromRecord(rec: SessionRecord): SessionEntry {
  const e: SessionEntry = {
    resource: rec.resource,
    jid: `${rec.bare}/${rec.resource}`,
    gw: rec.gw,
    conn: rec.conn,
    available: rec.available,
    priority: rec.priority,
    interested: rec.interested,
    directed: new Set(rec.directed),
    boundAt: rec.boundAt,
  };
  if (rec.presence !== undefined) e.presence = rec.presence;
  if (rec.flags !== undefined) e.flags = { ...rec.flags };
  if (rec.parked === true) e.parked = true;
  return e;
}

/**
 * A fresh delivery id (Envelope.did), unique across the cluster and its
 * restarts: 72 random bits drawn once per process, base64url, then a counter
 * in base 36 (no spaces: the Redis store keeps it next to the seq). A random
 * draw per delivery cost about 8% of a routed message's CPU.
 */
const DELIVERY_ID_PREFIX = randomBytes(9).toString('base64url');
let deliveryCounter = 0;
function deliveryId(): string {
  return `${DELIVERY_ID_PREFIX}${(++deliveryCounter).toString(36)}`;
}

/** The envelope carrying the current span's traceparent on, when a stanza is being traced. */
function traced(env: Envelope): Envelope {
  const tp = traceparentOf();
  return tp === undefined || tp === env.tp ? env : { ...env, tp };
}

/** Copy of a stanza re-addressed to `to` (and optionally from `from`). */
export function readdress(el: Element, to: string, from?: string): Element {
  const c = el.clone();
  c.setAttr('to', to);
  if (from !== undefined) c.setAttr('from', from);
  return c;
}

export type { JID };
