import type { Bus } from '@parley/bus';
import { NoSessionStore } from '@parley/cluster';
import type { SessionRecord, SessionStore } from '@parley/cluster';
import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import type { Envelope, GatewayMessage, RegistryMessage, StanzaKind } from '@parley/routing';
import { gatewaySubject, partitionOf, routeSubject } from '@parley/routing';
import type { StanzaError } from '@parley/stanza';
import { canReplyWithError, errorReply } from '@parley/stanza';
import type { Stores } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import { parseXml } from '@parley/xml';
import type { SessionEntry } from './session-table.js';
import { SessionTable } from './session-table.js';

export interface RegistryDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  logger: Logger;
  metrics: Metrics;
  /** Mirror of the session table (cluster mode); default: none. */
  sessionStore?: SessionStore;
}

/** Shared state and primitives of the session registry; the rule files build on it. */
export class Core {
  readonly config: Config;
  readonly bus: Bus;
  readonly stores: Stores;
  readonly logger: Logger;
  readonly sessions: SessionTable;
  readonly sessionStore: SessionStore;
  readonly partitions: number;
  readonly domains: Set<string>;
  private readonly delivered;
  private readonly routed;

  constructor(deps: RegistryDeps) {
    this.config = deps.config;
    this.bus = deps.bus;
    this.stores = deps.stores;
    this.logger = deps.logger;
    this.partitions = deps.config.routing.partitions;
    this.sessionStore = deps.sessionStore ?? new NoSessionStore();
    const mirrored = deps.sessionStore !== undefined;
    this.sessions = new SessionTable(
      mirrored
        ? (bare, resource, entry) => {
            const p = partitionOf(bare, this.partitions);
            const write = entry ? this.sessionStore.put(p, toRecord(bare, entry)) : this.sessionStore.remove(p, bare, resource);
            write.catch((err: unknown) => this.logger.error('session mirror write failed', { bare, err: String(err) }));
          }
        : undefined,
    );
    this.domains = new Set(deps.config.server.domains);
    this.delivered = deps.metrics.counter(
      'parley_router_delivered_total',
      'Stanzas handed to a gateway for delivery',
      ['kind'],
    );
    this.routed = deps.metrics.counter(
      'parley_router_routed_total',
      'Stanzas forwarded between partitions',
      ['kind'],
    );
  }

  isLocalDomain(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** Hands a stanza to the gateway holding the session's socket. */
  deliver(entry: SessionEntry, env: Envelope): void {
    const msg: GatewayMessage = { t: 'deliver', conn: entry.conn, env };
    this.bus.publish(gatewaySubject(entry.gw), msg);
    this.delivered.inc({ kind: env.kind });
  }

  /** Sends a stanza on to the home partition of its recipient, for inbound processing. */
  routeIn(env: Envelope): void {
    const target = tryParseJID(env.to);
    if (!target) return;
    const msg: RegistryMessage = { t: 'stanza', env: { ...env, stage: 'in' } };
    this.bus.publishDurable(routeSubject(target.toBareString(), this.partitions), msg).catch((err: unknown) => {
      this.logger.error('route publish failed', { to: env.to, err: String(err) });
    });
    this.routed.inc({ kind: env.kind });
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
  return rec;
}

export function fromRecord(rec: SessionRecord): SessionEntry {
  const e: SessionEntry = {
    resource: rec.resource,
    gw: rec.gw,
    conn: rec.conn,
    available: rec.available,
    priority: rec.priority,
    interested: rec.interested,
    directed: new Set(rec.directed),
    boundAt: rec.boundAt,
  };
  if (rec.presence !== undefined) e.presence = rec.presence;
  return e;
}

export function envelopeOf(el: Element, stage: Envelope['stage']): Envelope {
  const id = el.attr('id');
  const env: Envelope = {
    stage,
    kind: el.name as StanzaKind,
    type: el.attr('type') ?? '',
    from: el.attr('from') ?? '',
    to: el.attr('to') ?? '',
    xml: el.toString(),
  };
  if (id !== undefined) env.id = id;
  return env;
}

/** Copy of a stanza re-addressed to `to` (and optionally from `from`). */
export function readdress(el: Element, to: string, from?: string): Element {
  const c = el.clone();
  c.setAttr('to', to);
  if (from !== undefined) c.setAttr('from', from);
  return c;
}

export type { JID };
