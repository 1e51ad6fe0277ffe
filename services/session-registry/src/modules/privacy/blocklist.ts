import type { JID } from '@parley/jid';

/**
 * One user's blocklist (XEP-0191), held in memory for matching. Items are
 * normalized JIDs of any form; matching follows the XEP's "JID Matching"
 * section: a full-JID item matches that resource only, a bare item every
 * resource of the account, a domain/resource item that resource of the
 * domain itself, and a domain item the domain, everything at it and every
 * subdomain of it.
 */
export class Blocklist {
  static readonly EMPTY = new Blocklist([]);

  private readonly set: ReadonlySet<string>;

  private constructor(
    /** In code-point order, as the store returns them. */
    readonly items: readonly string[],
  ) {
    this.set = new Set(items);
  }

  static of(items: readonly string[]): Blocklist {
    return items.length === 0 ? Blocklist.EMPTY : new Blocklist(items);
  }

  get size(): number {
    return this.items.length;
  }

  has(item: string): boolean {
    return this.set.has(item);
  }

  /** Whether stanzas from or to `jid` are blocked by this list. */
  matches(jid: JID): boolean {
    if (this.items.length === 0) return false;
    const set = this.set;
    if (jid.local !== '') {
      if (jid.resource !== '' && set.has(jid.toString())) return true;
      if (set.has(jid.toBareString())) return true;
    } else if (jid.resource !== '' && set.has(jid.toString())) return true;
    for (let domain = jid.domain; ;) {
      if (set.has(domain)) return true;
      const dot = domain.indexOf('.');
      if (dot === -1) return false;
      domain = domain.slice(dot + 1);
    }
  }
}
