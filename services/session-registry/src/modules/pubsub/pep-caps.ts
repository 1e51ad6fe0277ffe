import { randomBytes } from 'node:crypto';
import { NS_DISCO_INFO, capsKey, notifyNodes, verifyCaps } from '@parley/pubsub';
import type { Caps } from '@parley/pubsub';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { LRUCache } from 'lru-cache';

/** Id prefix of the disco#info queries the server sends to learn a client's +notify features. */
export const CAPS_QUERY_PREFIX = `pepcaps-${randomBytes(3).toString('hex')}-`;

/** How long a query may stay unanswered before another one may be sent for its ver. */
const QUERY_TIMEOUT_MS = 30_000;

type Resolved = (nodes: ReadonlySet<string>) => void;

interface Pending {
  caps: Caps;
  key: string;
  /** The full JID queried. */
  jid: string;
  sentAt: number;
  waiters: { owner: string; jid: string; then: Resolved }[];
}

/**
 * Which PEP nodes a client wants notifications for, from its XEP-0115 entity
 * capabilities: the `<node>+notify` features of its disco#info, asked once
 * per caps ver (the server queries the client from the PEP owner's bare JID
 * and the answer comes back to that owner's partition). A verified answer
 * (its hash matches the ver) is cached for every client announcing that
 * ver; an unverifiable one (legacy caps, a wrong hash) only for the client
 * that gave it, so nobody can poison the shared cache.
 */
export class CapsResolver {
  /** +notify nodes by caps key, the least recently used forgotten first. */
  private readonly verified = new LRUCache<string, ReadonlySet<string>>({ max: 10_000 });
  /** The same for unverifiable caps, by `<full JID> <caps key>`. */
  private readonly unverified = new LRUCache<string, ReadonlySet<string>>({ max: 10_000 });
  private readonly pending = new Map<string, Pending>();
  /** Query id by caps key, for queries of shared (hashed) vers. */
  private readonly pendingByKey = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly send: (stanza: Element) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The +notify nodes of `caps` as announced by `jid`, if known. */
  known(caps: Caps, jid: string): ReadonlySet<string> | undefined {
    const key = capsKey(caps);
    return this.verified.get(key) ?? this.unverified.get(`${jid} ${key}`);
  }

  /**
   * Calls `then` with the +notify nodes of `caps` for `jid`: at once when
   * known, otherwise after asking `jid` (from `owner`) for its disco#info.
   * A ver already being asked about is not asked again.
   */
  resolve(owner: string, jid: string, caps: Caps, then: Resolved): void {
    const nodes = this.known(caps, jid);
    if (nodes) return then(nodes);
    this.expire();
    const key = capsKey(caps);
    const shared = caps.hash !== undefined ? this.pendingByKey.get(key) : undefined;
    const existing = shared !== undefined ? this.pending.get(shared) : undefined;
    if (existing) {
      existing.waiters.push({ owner, jid, then });
      return;
    }
    const id = `${CAPS_QUERY_PREFIX}${(++this.seq).toString(36)}`;
    this.pending.set(id, { caps, key, jid, sentAt: this.now(), waiters: [{ owner, jid, then }] });
    if (caps.hash !== undefined) this.pendingByKey.set(key, id);
    this.send(
      xml(
        'iq',
        { type: 'get', id, from: owner, to: jid },
        xml('query', { xmlns: NS_DISCO_INFO, node: `${caps.node}#${caps.ver}` }),
      ),
    );
  }

  /**
   * An IQ result or error answering one of our queries (checked by id and
   * sender); returns false for anything else.
   */
  answer(iq: Element): boolean {
    const id = iq.attr('id');
    if (id === undefined || !id.startsWith(CAPS_QUERY_PREFIX)) return false;
    const p = this.pending.get(id);
    if (!p || iq.attr('from') !== p.jid) return true;
    this.pending.delete(id);
    if (this.pendingByKey.get(p.key) === id) this.pendingByKey.delete(p.key);
    const query = iq.attr('type') === 'result' ? iq.getChild('query', NS_DISCO_INFO) : undefined;
    const nodes: ReadonlySet<string> = query ? notifyNodes(query) : new Set();
    const trusted = query !== undefined && verifyCaps(p.caps, query);
    if (trusted) this.verified.set(p.key, nodes);
    else if (query) this.unverified.set(`${p.jid} ${p.key}`, nodes);
    // An error (the client went away) is not cached: it is asked again next time.
    for (const w of p.waiters) {
      // An answer that does not match its ver only speaks for the client that gave it.
      if (trusted || w.jid === p.jid) w.then(nodes);
      else this.resolve(w.owner, w.jid, p.caps, w.then);
    }
    return true;
  }

  private expire(): void {
    const limit = this.now() - QUERY_TIMEOUT_MS;
    for (const [id, p] of this.pending) {
      if (p.sentAt >= limit) continue;
      this.pending.delete(id);
      if (this.pendingByKey.get(p.key) === id) this.pendingByKey.delete(p.key);
    }
  }
}
