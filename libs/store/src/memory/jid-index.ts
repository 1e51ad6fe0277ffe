import type { ListPage } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { checkLimit } from '../shared/validate.js';
import { SortedKeys } from './sorted-keys.js';

/** JIDs in code-point order, overall and per domain: the listing side of a JID-keyed store. */
export class JidIndex {
  private readonly all = new SortedKeys();
  private readonly byDomain = new Map<string, SortedKeys>();

  add(jid: string): void {
    this.all.add(jid);
    this.domainKeys(domainOf(jid)).add(jid);
  }

  /** Adds many new JIDs at once (bulk import). */
  addMany(jids: string[]): void {
    this.all.addMany(jids);
    const perDomain = new Map<string, string[]>();
    for (const jid of jids) {
      const domain = domainOf(jid);
      const list = perDomain.get(domain);
      if (list) list.push(jid);
      else perDomain.set(domain, [jid]);
    }
    for (const [domain, list] of perDomain) this.domainKeys(domain).addMany(list);
  }

  delete(jid: string): void {
    this.all.delete(jid);
    const domain = domainOf(jid);
    const keys = this.byDomain.get(domain);
    keys?.delete(jid);
    if (keys?.size === 0) this.byDomain.delete(domain);
  }

  /** JIDs of one domain. */
  count(domain: string): number {
    return this.byDomain.get(domain)?.size ?? 0;
  }

  /** One page of records (`get` maps a listed JID to a copy of its record). */
  page<T>(
    opts: { after?: string; limit?: number; domain?: string },
    get: (jid: string) => T,
  ): ListPage<T> {
    checkLimit(opts.limit);
    const { after, limit, domain } = opts;
    const keys = domain === undefined ? this.all : this.byDomain.get(domain);
    if (!keys) return { items: [] };
    // One extra key tells whether another page follows.
    const jids = keys.slice(after, limit === undefined ? Infinity : limit + 1);
    const more = limit !== undefined && jids.length > limit;
    if (more) jids.length = limit;
    const items = jids.map(get);
    const last = jids[jids.length - 1];
    return more && last !== undefined ? { items, next: last } : { items };
  }

  private domainKeys(domain: string): SortedKeys {
    let keys = this.byDomain.get(domain);
    if (!keys) this.byDomain.set(domain, (keys = new SortedKeys()));
    return keys;
  }
}
