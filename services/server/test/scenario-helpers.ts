/**
 * Helpers for the RFC 6120/6121 scenario tests: a server per test file,
 * fresh accounts per test, and a `Peer` wrapper around an @xmpp/client that
 * records every stanza it receives so a test can wait for one by predicate
 * (never missing one that arrived early) or assert that something did not
 * arrive after a barrier.
 */
import { afterAll, beforeAll } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import type { Config, DeepPartial } from '@parley/config';
import { bareOf, resourceOf } from '@parley/jid';
import type { RosterItem, Subscription } from '@parley/store';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_PING = 'urn:xmpp:ping';
export const NS_DELAY = 'urn:xmpp:delay';
export const NS_LAST = 'jabber:iq:last';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export type Pred = (el: Element) => boolean;

/** Matches a presence; `type: ''` means an available presence (no type). */
export function isPresence(opts: { from?: string; type?: string; to?: string } = {}): Pred {
  return (el) =>
    el.is('presence') &&
    (opts.from === undefined || el.attrs.from === opts.from) &&
    (opts.to === undefined || el.attrs.to === opts.to) &&
    (opts.type === undefined || (el.attrs.type ?? '') === opts.type);
}

export function isMessage(
  opts: { from?: string; type?: string; body?: string; id?: string } = {},
): Pred {
  return (el) =>
    el.is('message') &&
    (opts.from === undefined || el.attrs.from === opts.from) &&
    (opts.type === undefined || (el.attrs.type ?? 'normal') === opts.type) &&
    (opts.id === undefined || el.attrs.id === opts.id) &&
    (opts.body === undefined || el.getChildText('body') === opts.body);
}

/** A roster push (RFC 6121 2.1.6) carrying an item for `jid`. */
export function isRosterPush(jid: string, extra: (item: Element) => boolean = () => true): Pred {
  return (el) => {
    if (!el.is('iq') || el.attrs.type !== 'set') return false;
    const item = el.getChild('query', NS_ROSTER)?.getChild('item');
    return item !== undefined && item.attrs.jid === jid && extra(item);
  };
}

export function pushedItem(push: Element): Element {
  const item = push.getChild('query', NS_ROSTER)?.getChild('item');
  if (!item) throw new Error(`not a roster push: ${push.toString()}`);
  return item;
}

/** The defined condition of an error stanza (RFC 6120 8.3). */
export function errorCondition(el: Element): string | undefined {
  const err = el.getChild('error');
  if (!err) return undefined;
  for (const c of err.children) {
    if (typeof c !== 'string' && c.attrs.xmlns === NS_STANZAS && c.name !== 'text') return c.name;
  }
  return undefined;
}

export { bareOf } from '@parley/jid';

let idSeq = 0;
export const nextId = (prefix = 'sc') => `${prefix}${++idSeq}`;

/** One logged-in client with a record of everything it received. */
export class Peer {
  readonly log: Element[] = [];
  readonly errors: Error[] = [];
  offline = false;
  private cursor = 0;
  private readonly wakers = new Set<() => void>();

  constructor(
    readonly xmpp: XmppClient,
    readonly jid: string,
  ) {
    xmpp.on('stanza', (el: Element) => {
      this.log.push(el);
      for (const w of [...this.wakers]) w();
    });
    xmpp.on('error', (err: Error) => {
      this.errors.push(err);
      for (const w of [...this.wakers]) w();
    });
    const gone = () => {
      this.offline = true;
      for (const w of [...this.wakers]) w();
    };
    xmpp.on('disconnect', gone);
    xmpp.on('offline', gone);
  }

  get bare(): string {
    return bareOf(this.jid);
  }

  get resource(): string {
    return resourceOf(this.jid) ?? '';
  }

  /** Later `next`/`received` calls only consider stanzas arriving after this point. */
  mark(): void {
    this.cursor = this.log.length;
  }

  /** Stanzas received since the last mark, optionally filtered. */
  received(pred: Pred = () => true): Element[] {
    return this.log.slice(this.cursor).filter(pred);
  }

  /** Resolves with the first stanza since the last mark matching `pred`, waiting if needed. */
  next(pred: Pred, timeoutMs = 4000, what = 'a matching stanza'): Promise<Element> {
    return this.until(
      () => this.log.slice(this.cursor).find(pred),
      timeoutMs,
      `${this.jid} waited for ${what}`,
    );
  }

  /** Resolves once `check` returns a value (re-checked on every stanza, error or close). */
  until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waker = () => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        this.wakers.delete(waker);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(waker);
        const got = this.log
          .slice(this.cursor)
          .map((e) => e.toString())
          .join('\n  ');
        reject(new Error(`timed out: ${what}; received since mark:\n  ${got}`));
      }, timeoutMs);
      this.wakers.add(waker);
    });
  }

  send(el: Element): Promise<void> {
    return this.xmpp.send(el);
  }

  /**
   * Sends available presence (optionally with priority/status/show) and
   * waits until the server reflected it back to this resource, which it
   * does for every available presence (RFC 6121 4.2.2 / 4.4.2).
   */
  async available(opts: { priority?: number; status?: string; show?: string } = {}): Promise<void> {
    const children: Element[] = [];
    if (opts.show !== undefined) children.push(xml('show', {}, opts.show));
    if (opts.status !== undefined) children.push(xml('status', {}, opts.status));
    if (opts.priority !== undefined) children.push(xml('priority', {}, String(opts.priority)));
    const start = this.log.length;
    await this.send(xml('presence', {}, ...children));
    await this.until(
      () => this.log.slice(start).find(isPresence({ from: this.jid, type: '' })),
      4000,
      'its own presence to be reflected',
    );
  }

  /** Sends an IQ and resolves with the whole reply stanza (result or error). */
  async iq(type: 'get' | 'set', to: string | undefined, payload: Element): Promise<Element> {
    const id = nextId('iq');
    const start = this.log.length;
    await this.send(xml('iq', { type, id, ...(to !== undefined ? { to } : {}) }, payload));
    return this.until(
      () =>
        this.log
          .slice(start)
          .find(
            (el) =>
              el.is('iq') &&
              el.attrs.id === id &&
              (el.attrs.type === 'result' || el.attrs.type === 'error'),
          ),
      4000,
      `the reply to iq ${id}`,
    );
  }

  /** The features `to` lists in its disco#info answer (XEP-0030). */
  async discoFeatures(to: string): Promise<string[]> {
    const reply = await this.iq('get', to, xml('query', { xmlns: NS_DISCO_INFO }));
    const query = reply.getChild('query', NS_DISCO_INFO);
    if (query === undefined) throw new Error(`no disco#info from ${to}: ${reply.toString()}`);
    return query.getChildren('feature').map((f) => f.attrs.var as string);
  }

  /** Requests the roster (making this an interested resource, RFC 6121 2.2). */
  async rosterGet(ver?: string): Promise<Element> {
    const reply = await this.iq(
      'get',
      undefined,
      xml('query', { xmlns: NS_ROSTER, ...(ver !== undefined ? { ver } : {}) }),
    );
    if (reply.attrs.type !== 'result') throw new Error(`roster get failed: ${reply.toString()}`);
    return reply;
  }

  /** A roster set (RFC 6121 2.1.5) of `items`; resolves with the reply (result or error). */
  rosterSet(...items: Element[]): Promise<Element> {
    return this.iq('set', undefined, xml('query', { xmlns: NS_ROSTER }, ...items));
  }

  async rosterItem(jid: string): Promise<Element | undefined> {
    const reply = await this.rosterGet();
    return reply
      .getChild('query', NS_ROSTER)
      ?.getChildren('item')
      .find((i) => i.attrs.jid === jid);
  }

  /** A round trip through the server: everything delivered before it has been received. */
  async ping(): Promise<void> {
    const reply = await this.iq(
      'get',
      bareOf(this.jid).split('@')[1],
      xml('ping', { xmlns: NS_PING }),
    );
    if (reply.attrs.type !== 'result') throw new Error(`ping failed: ${reply.toString()}`);
  }

  /** Drops the TCP connection without closing the stream (a crashed client, a lost network). */
  async drop(): Promise<void> {
    // @xmpp/client keeps its TLS wrapper on .socket, the node TLSSocket on .socket.socket.
    const wrapper = (this.xmpp as unknown as { socket: { socket?: { destroy(): void } } }).socket;
    wrapper.socket?.destroy();
  }

  async stop(): Promise<void> {
    if (this.offline) return;
    // A cap on teardown, not a wait for anything: a client whose stop hangs is left behind.
    await Promise.race([this.xmpp.stop().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  }
}

export interface LoginOptions {
  resource?: string;
  /** Request the roster right after login (become an interested resource). */
  roster?: boolean;
  /** Send initial presence with this priority (null: stay unavailable). Default: no presence. */
  priority?: number | null;
  status?: string;
}

/** The server of one test file, with accounts and clients that are cleaned up afterwards. */
export class Scenario {
  private server: TestServer | undefined;
  private readonly peers: Peer[] = [];
  private userSeq = 0;

  get t(): TestServer {
    if (!this.server) throw new Error('scenario not started');
    return this.server;
  }

  async start(overrides: DeepPartial<Config> = {}): Promise<void> {
    this.server = await startTestServer(overrides);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.peers.map((p) => p.stop()));
    await this.server?.stop();
  }

  /** Creates fresh accounts (unique local parts) and returns their bare JIDs. */
  async users(...prefixes: string[]): Promise<string[]> {
    return Promise.all(prefixes.map((p) => this.t.addUser(`${p}${++this.userSeq}`)));
  }

  /**
   * Fresh accounts (as `users`), each logged in once, one after the other,
   * and available with priority 0: clients that receive what is sent to
   * their bare JID. The peers, in the order of `prefixes`.
   */
  async online<const P extends readonly string[]>(
    ...prefixes: P
  ): Promise<{ -readonly [K in keyof P]: Peer }> {
    const peers: Peer[] = [];
    for (const bare of await this.users(...prefixes))
      peers.push(await this.login(bare, { priority: 0 }));
    return peers as { -readonly [K in keyof P]: Peer };
  }

  /** Logs a client in over TCP (STARTTLS + SCRAM + bind). */
  async login(bare: string, opts: LoginOptions = {}): Promise<Peer> {
    const local = bare.slice(0, bare.indexOf('@'));
    const xmpp = await connect({
      port: this.t.port,
      username: local,
      ...(opts.resource ? { resource: opts.resource } : {}),
    });
    const peer = new Peer(xmpp, xmpp.jid!.toString());
    this.peers.push(peer);
    if (opts.roster) await peer.rosterGet();
    if (opts.priority !== undefined && opts.priority !== null) {
      await peer.available({
        priority: opts.priority,
        ...(opts.status !== undefined ? { status: opts.status } : {}),
      });
    }
    peer.mark();
    return peer;
  }

  /** Sets both sides of a subscription directly in the store (a test fixture, no stanzas). */
  async subscription(user: string, contact: string, sub: Subscription): Promise<void> {
    const inverse: Record<Subscription, Subscription> = {
      none: 'none',
      to: 'from',
      from: 'to',
      both: 'both',
    };
    await this.setItem(user, { jid: contact, subscription: sub, groups: [], listed: true });
    await this.setItem(contact, {
      jid: user,
      subscription: inverse[sub],
      groups: [],
      listed: true,
    });
  }

  async setItem(owner: string, item: RosterItem): Promise<void> {
    await this.t.server.stores.rosters.setItem(owner, item);
  }

  async storedItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    return this.t.server.stores.rosters.getItem(owner, contact);
  }

  /**
   * Barrier: waits until the registry has no work left, then makes each
   * peer do a round trip through the server, so whatever the server was
   * going to deliver to them has been received.
   */
  async settle(...peers: Peer[]): Promise<void> {
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setImmediate(r));
      await this.t.server.registry.idle();
    }
    await Promise.all(peers.filter((p) => !p.offline).map((p) => p.ping()));
  }
}

/** Starts a server for the enclosing test file (or describe block) and stops it afterwards. */
export function useScenario(overrides: DeepPartial<Config> = {}): Scenario {
  const s = new Scenario();
  beforeAll(() => s.start(overrides));
  afterAll(() => s.close());
  return s;
}
