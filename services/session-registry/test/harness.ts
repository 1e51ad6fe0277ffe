/**
 * Runs one session registry alone over the in-process bus with memory
 * stores, wired as services/server wires it in single-process mode, and
 * plays the gateways: fake client sessions bind, send stanzas and unbind
 * with the very bus messages a gateway publishes (services/gateway:
 * negotiation/bind.ts, routing/outbound.ts, connection.ts), and what the
 * registry hands to a gateway subject is captured per connection.
 *
 * `settle()` waits until the registry is quiescent: no bus message in
 * flight, every partition consumer idle, and nothing new published while
 * checking. Everything here runs in this process on microtasks (MemoryBus,
 * memory stores), so that is a drain, not a timed wait.
 */
import { MemoryBus } from '@parley/bus';
import type { BusMessage } from '@parley/bus';
import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { bareOf, parseJID } from '@parley/jid';
import {
  BusProtocol,
  GATEWAY_MESSAGES,
  bounceOf,
  envelopeOf,
  ROUTE_PREFIX,
  gatewayConsumerName,
  gatewaySubject,
  routeSubject,
  versionedBus,
} from '@parley/routing';
import type {
  BindReply,
  BindRequest,
  Envelope,
  RegistryMessage,
  StanzaKind,
  UnbindRequest,
} from '@parley/routing';
import { NS_PING, NS_ROSTER } from '@parley/stanza';
import { openMemoryStores } from '@parley/store';
import type { RosterItem, Stores, Subscription } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { builtinModules, startSessionRegistry } from '../src/index.js';
import type { ServerModule, SessionRegistry } from '../src/index.js';
import { createTestAccount } from './bus-fixture.js';

export const DOMAIN = 'example.org';

/** A bare JID on the served domain. */
export const jidOf = (local: string): string => `${local}@${DOMAIN}`;

export interface HarnessOptions {
  /** Accounts (localparts) created before the registry starts. */
  accounts?: string[];
  /** Changes to the default configuration (server.domains is set already). */
  config?: (c: Config) => void;
  /** The server modules to start (default: the built-in ones, as the server starts them). */
  modules?: (builtin: readonly ServerModule[]) => readonly ServerModule[];
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

let clientTime = 1_700_000_000_000;

/** One bound resource, as the gateway holding its connection sees it. */
export class FakeSession {
  /** Stanzas the registry delivered to this connection, in arrival order. */
  readonly received: Element[] = [];
  /** The condition of a `kick` the registry sent for this connection. */
  kicked: string | undefined;
  /** While false, deliveries are bounced back as a gateway does for a closed connection. */
  connected = true;
  private seq = 0;

  constructor(
    private readonly h: Harness,
    readonly gw: string,
    readonly bare: string,
    readonly resource: string,
    readonly conn: string,
  ) {}

  get jid(): string {
    return `${this.bare}/${this.resource}`;
  }

  /**
   * Publishes a client stanza as the gateway does after bind: 'from' stamped
   * with the full JID, 'to' normalized, serialized once, stage 'out' to the
   * sender's partition. IQs get an id when they have none.
   */
  send(stanza: string | Element): Envelope {
    const el = typeof stanza === 'string' ? parseXml(stanza) : stanza.clone();
    if (el.name === 'iq' && el.attr('id') === undefined) el.setAttr('id', this.nextId());
    el.setAttr('from', this.jid);
    const rawTo = el.attr('to');
    const to = rawTo === undefined ? '' : parseJID(rawTo).toString();
    if (rawTo !== undefined) el.setAttr('to', to);
    const env: Envelope = {
      stage: 'out',
      kind: el.name as StanzaKind,
      type: el.attr('type') ?? '',
      from: this.jid,
      to,
      xml: el.toString(),
      gw: this.gw,
      conn: this.conn,
      ts: ++clientTime,
    };
    const id = el.attr('id');
    if (id !== undefined) env.id = id;
    this.h.publish(this.bare, { t: 'stanza', env });
    return env;
  }

  /** Broadcast presence (no 'to'): available with an optional priority/show/status, or unavailable. */
  presence(
    opts: { priority?: number; show?: string; status?: string; type?: 'unavailable' } = {},
  ): void {
    const p = parseXml(`<presence xmlns='jabber:client'/>`);
    if (opts.type !== undefined) p.setAttr('type', opts.type);
    if (opts.show !== undefined) p.c('show').t(opts.show);
    if (opts.status !== undefined) p.c('status').t(opts.status);
    if (opts.priority !== undefined) p.c('priority').t(String(opts.priority));
    this.send(p);
  }

  /** A roster get (RFC 6121 2.1.3): makes this resource an interested one. */
  rosterGet(): string {
    const id = `marker-${this.nextId()}`;
    this.h.markers.add(id);
    this.send(`<iq xmlns='jabber:client' type='get' id='${id}'><query xmlns='${NS_ROSTER}'/></iq>`);
    return id;
  }

  /** The connection closes: the gateway publishes `unbind` once. */
  unbind(): void {
    this.connected = false;
    const msg: UnbindRequest = { t: 'unbind', jid: this.jid, gw: this.gw, conn: this.conn };
    this.h.publish(this.bare, msg);
  }

  /**
   * Everything received until now, checked with a positive marker: waits
   * until the registry settled, then sends a ping to the server and returns
   * (and forgets) what arrived before its result. Use it to assert that
   * nothing else arrived. Needs the ping module (XEP-0199, built in).
   */
  async drain(): Promise<Element[]> {
    await this.h.settle();
    const id = `marker-${this.nextId()}`;
    this.h.markers.add(id);
    this.send(
      `<iq xmlns='jabber:client' type='get' id='${id}' to='${DOMAIN}'><ping xmlns='${NS_PING}'/></iq>`,
    );
    await this.h.settle();
    const at = this.received.findIndex(
      (e) => e.name === 'iq' && e.attr('id') === id && e.attr('type') === 'result',
    );
    if (at === -1) throw new Error(`${this.jid}: the marker ping was not answered`);
    const before = this.received.splice(0);
    return [...before.slice(0, at), ...before.slice(at + 1)];
  }

  /** What was received so far (and forgets it). */
  take(): Element[] {
    return this.received.splice(0);
  }

  nextId(): string {
    return `${this.resource}-${++this.seq}`;
  }
}

/** The registry, its bus and stores, and the fake gateways in front of it. */
export class Harness {
  readonly config: Config;
  readonly bus = new MemoryBus();
  readonly stores: Stores;
  readonly registry: SessionRegistry;
  /** warn and error lines the registry logged. */
  readonly logs: LogLine[] = [];
  /**
   * Stanzas routed between partitions (stage 'in' on a route subject): what
   * the sender's partition forwards and what the server sends on an
   * account's behalf (subscription answers, presence broadcasts and probes).
   */
  readonly routed: Envelope[] = [];
  /** Ids of the marker pings of FakeSession.drain (not part of `routed`). @internal */
  readonly markers = new Set<string>();
  /** What the test itself handed in with routeIn (not part of `routed`). */
  private readonly injected = new Set<string>();
  /** Bus messages published so far (any subject): settle() waits for this to stop moving. */
  private published = 0;
  private readonly out = versionedBus(this.bus);
  private readonly protocol: BusProtocol;
  private readonly sessions = new Map<string, FakeSession>();
  private readonly gateways = new Set<string>();
  private connSeq = 0;

  private constructor(config: Config, stores: Stores, modules?: readonly ServerModule[]) {
    this.config = config;
    this.stores = stores;
    const logger = createLogger({
      service: 'session-registry',
      level: 'warn',
      sink: (line) => this.logs.push(JSON.parse(line) as LogLine),
    });
    const metrics = createMetrics();
    this.protocol = new BusProtocol({ metrics, logger });
    this.bus.onError = (err, subject) =>
      this.logs.push({ level: 'error', msg: 'bus handler failed', subject, err });
    this.bus.subscribe('>', (msg) => {
      this.published++;
      const data = msg.data as { t?: string; env?: Envelope };
      const env = data.t === 'stanza' ? data.env : undefined;
      if (msg.subject.startsWith(`${ROUTE_PREFIX}.`) && env?.stage === 'in') {
        const marker = env.kind === 'iq' && env.id !== undefined && this.markers.has(env.id);
        if (!this.injected.delete(env.xml) && !marker) this.routed.push(env);
      }
    });
    this.registry = startSessionRegistry({
      config,
      bus: this.bus,
      stores,
      logger,
      metrics,
      ...(modules !== undefined && { modules }),
    });
  }

  static async start(opts: HarnessOptions = {}): Promise<Harness> {
    const config = defaultConfig();
    config.server.domains = [DOMAIN];
    opts.config?.(config);
    const h = new Harness(config, openMemoryStores(), opts.modules?.(builtinModules));
    await h.registry.ready;
    for (const local of opts.accounts ?? []) await h.createAccount(local);
    return h;
  }

  async createAccount(local: string): Promise<string> {
    const jid = jidOf(local);
    await createTestAccount(this.stores, jid);
    return jid;
  }

  /** Binds a resource as a gateway does (request/reply on the account's partition). */
  async bind(bare: string, resource: string, gw = 'gw1'): Promise<FakeSession> {
    await this.gateway(gw);
    const conn = `${gw}-c${++this.connSeq}`;
    const reply = await this.bindRequest({ t: 'bind', jid: bare, resource, gw, conn });
    if (!reply.ok) throw new Error(`bind of ${bare}/${resource} refused: ${reply.condition}`);
    const slash = reply.jid.indexOf('/');
    const s = new FakeSession(this, gw, bare, reply.jid.slice(slash + 1), conn);
    this.sessions.set(conn, s);
    return s;
  }

  /** The registry's answer to a bind request as a gateway sends it, refused or not. */
  async bindRequest(request: BindRequest): Promise<BindReply> {
    await this.gateway(request.gw);
    return (await this.out.request(
      routeSubject(request.jid, this.config.routing.partitions),
      request,
      {
        timeoutMs: 5000,
        durable: true,
      },
    )) as BindReply;
  }

  /**
   * Binds, asks for the roster (unless `interested: false`), sends initial
   * presence, waits until the registry settled and forgets what the session
   * received on the way.
   */
  async online(
    bare: string,
    resource: string,
    opts: { priority?: number; interested?: boolean; gw?: string } = {},
  ): Promise<FakeSession> {
    const s = await this.bind(bare, resource, opts.gw);
    if (opts.interested !== false) s.rosterGet();
    s.presence(opts.priority === undefined ? {} : { priority: opts.priority });
    await this.settle();
    s.take();
    return s;
  }

  /** Waits until nothing is in flight and every partition consumer is idle. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      const before = this.published;
      await this.bus.flush();
      await this.registry.idle();
      await this.bus.flush();
      if (this.published === before) return;
    }
    throw new Error('the registry did not settle after 1000 rounds');
  }

  /** Writes a roster item straight to the store (a subscription state to start from). */
  async setItem(owner: string, contact: string, state: SubscriptionState): Promise<void> {
    const item: RosterItem = {
      jid: contact,
      subscription: state.subscription,
      groups: [],
      listed: true,
    };
    if (state.ask) item.ask = 'subscribe';
    if (state.pendingIn) {
      item.pendingIn = true;
      item.pendingInStanza = `<presence xmlns='jabber:client' type='subscribe' from='${contact}' to='${owner}'/>`;
    }
    if (state.approved) item.approved = true;
    await this.stores.rosters.setItem(owner, item);
  }

  async item(owner: string, contact: string): Promise<RosterItem | undefined> {
    return this.stores.rosters.getItem(owner, contact);
  }

  async close(): Promise<void> {
    await this.registry.close();
    await this.bus.close();
    await this.stores.close();
  }

  /** Takes (removes) the log lines with message `msg`: for a test that expects them. */
  takeLogs(msg: string): LogLine[] {
    const taken = this.logs.filter((l) => l.msg === msg);
    for (const l of taken) this.logs.splice(this.logs.indexOf(l), 1);
    return taken;
  }

  /** Error lines: a registry job that failed, a bus handler that threw, a message not understood. */
  problems(): LogLine[] {
    return this.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
  }

  /**
   * Hands a stanza to the recipient's partition for inbound processing, as
   * the sender's partition forwards it (stage 'in'); 'from' and 'to' are
   * the stanza's own.
   */
  routeIn(stanza: string): void {
    const env = envelopeOf(parseXml(stanza), 'in');
    this.injected.add(env.xml);
    this.publish(bareOf(env.to), { t: 'stanza', env });
  }

  /** Routed stanzas so far (and forgets them), as `brief` lines. */
  takeRouted(): string[] {
    return this.routed
      .splice(0)
      .map((e) => `${e.kind}${e.type ? `:${e.type}` : ''} ${e.from} -> ${e.to}`);
  }

  /** Publishes a registry message on the account's partition subject, as a gateway does. */
  publish(bare: string, msg: RegistryMessage): void {
    void this.out.publishDurable(routeSubject(bare, this.config.routing.partitions), msg);
  }

  /** A gateway's delivery consumer (gateway.ts): deliveries and kicks, checked like a gateway does. */
  private async gateway(gw: string): Promise<void> {
    if (this.gateways.has(gw)) return;
    this.gateways.add(gw);
    await this.bus.consumeOrdered(gatewaySubject(gw), gatewayConsumerName(gw), (msg) =>
      this.onGatewayMessage(msg),
    );
  }

  private async onGatewayMessage(msg: BusMessage): Promise<void> {
    const m = this.protocol.decode(GATEWAY_MESSAGES, msg);
    if (m === undefined) {
      this.logs.push({ level: 'error', msg: 'gateway message not understood', data: msg.data });
      return;
    }
    const s = this.sessions.get(m.conn);
    if (m.t === 'deliver') {
      if (s?.connected) s.received.push(parseXml(m.env.xml));
      else {
        // routing/delivery.ts: a connection that is gone bounces the stanza to the recipient's partition.
        const bounce = bounceOf(m, this.config.routing.partitions);
        if (bounce !== undefined) void this.out.publishDurable(bounce.subject, bounce.msg);
      }
      return;
    }
    if (m.t === 'kick' && s !== undefined) {
      s.kicked = m.condition;
      if (s.connected) s.unbind();
    }
  }
}

/** One of the nine subscription states of RFC 6121 Appendix A.1, plus pre-approval (3.4). */
export interface SubscriptionState {
  subscription: Subscription;
  ask?: boolean;
  pendingIn?: boolean;
  approved?: boolean;
}

/** The state names of RFC 6121 Appendix A.1. */
export const STATES: Record<string, SubscriptionState> = {
  None: { subscription: 'none' },
  'None + Pending Out': { subscription: 'none', ask: true },
  'None + Pending In': { subscription: 'none', pendingIn: true },
  'None + Pending Out/In': { subscription: 'none', ask: true, pendingIn: true },
  To: { subscription: 'to' },
  'To + Pending In': { subscription: 'to', pendingIn: true },
  From: { subscription: 'from' },
  'From + Pending Out': { subscription: 'from', ask: true },
  Both: { subscription: 'both' },
};

/** The Appendix A state a roster item is in (a missing item is "None"). */
export function stateOf(item: RosterItem | undefined): string {
  if (item === undefined) return 'None';
  const base = { none: 'None', to: 'To', from: 'From', both: 'Both' }[item.subscription];
  const out = item.ask === 'subscribe';
  const inn = item.pendingIn === true;
  if (out && inn) return `${base} + Pending Out/In`;
  if (out) return `${base} + Pending Out`;
  if (inn) return `${base} + Pending In`;
  return base;
}

/** Roster pushes (RFC 6121 2.1.6) among received stanzas: their single item. */
export function pushes(received: Element[]): Element[] {
  return received
    .filter((e) => e.name === 'iq' && e.attr('type') === 'set')
    .map((e) => e.getChild('query', NS_ROSTER)?.getChild('item'))
    .filter((i): i is Element => i !== undefined);
}

/** A compact description of a stanza for assertions: kind, type, from, to. */
export function brief(el: Element): string {
  const type = el.attr('type');
  return `${el.name}${type ? `:${type}` : ''} ${el.attr('from') ?? '-'} -> ${el.attr('to') ?? '-'}`;
}

/** The error condition of an error stanza. */
export function errorCondition(el: Element): string | undefined {
  return el.getChild('error')?.getChildElements()[0]?.name;
}
