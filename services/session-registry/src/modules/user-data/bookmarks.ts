import { ServiceKey } from '@parley/modules';
import { tryParseJID } from '@parley/jid';
import { payloadOf } from '@parley/pubsub';
import type { PublishedEvent, PubsubEngine, RetractedEvent } from '@parley/pubsub';
import { parseBoolean } from '@parley/stanza';
import type { PubsubItem } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { PEP } from '../pubsub/pep-runtime.js';
import type { ModuleContext, ServerModule } from '../types.js';

/** XEP-0402 PEP Native Bookmarks: one item per room, the room JID as item id. */
export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
/** XEP-0048 bookmarks: one <storage/> element, in private XML or a PEP node of that name. */
export const NS_BOOKMARKS = 'storage:bookmarks';
/** The item of the XEP-0048 PEP node. */
const LEGACY_ITEM = 'current';

/** XEP-0223 node configuration of both bookmark nodes (private, persistent). */
const PRIVATE_NODE: Record<string, string> = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

/** XEP-0048 `<storage/>` holding every XEP-0402 bookmark (jid = item id). */
export function legacyStorage(items: readonly PubsubItem[]): Element {
  const storage = xml('storage', { xmlns: NS_BOOKMARKS });
  // Items come newest first; the legacy list keeps publication order.
  for (const item of [...items].reverse()) {
    const c = payloadOf(item);
    if (!c?.is('conference', NS_BOOKMARKS2)) continue;
    const conf = xml('conference', {
      jid: item.id,
      name: c.attr('name'),
      autojoin: parseBoolean(c.attr('autojoin')) ? 'true' : 'false',
    });
    const nick = c.getChildText('nick', NS_BOOKMARKS2);
    if (nick !== undefined) conf.append(xml('nick', {}, nick));
    const password = c.getChildText('password', NS_BOOKMARKS2);
    if (password !== undefined) conf.append(xml('password', {}, password));
    storage.append(conf);
  }
  return storage;
}

/**
 * The XEP-0402 conferences of a XEP-0048 `<storage/>` by room JID; the
 * `<extensions/>` of an existing bookmark are kept (XEP-0048 has none).
 */
export function conferencesOf(
  storage: Element,
  existing: ReadonlyMap<string, Element>,
): Map<string, Element> {
  const out = new Map<string, Element>();
  for (const c of storage.getChildren('conference', NS_BOOKMARKS)) {
    const jid = tryParseJID(c.attr('jid') ?? '');
    if (!jid || jid.resource) continue;
    const id = jid.toString();
    const conf = xml('conference', {
      xmlns: NS_BOOKMARKS2,
      name: c.attr('name'),
      autojoin: parseBoolean(c.attr('autojoin')) ? 'true' : undefined,
    });
    const nick = c.getChildText('nick', NS_BOOKMARKS);
    if (nick !== undefined && nick !== '') conf.append(xml('nick', {}, nick));
    const password = c.getChildText('password', NS_BOOKMARKS);
    if (password !== undefined && password !== '') conf.append(xml('password', {}, password));
    const ext = existing.get(id)?.getChild('extensions', NS_BOOKMARKS2);
    if (ext) conf.append(ext.clone());
    out.set(id, conf);
  }
  return out;
}

/** Same bookmark, attribute order and boolean spelling aside. */
function sameConference(a: Element, b: Element): boolean {
  const norm = (c: Element) =>
    JSON.stringify([
      c.attr('name') ?? '',
      parseBoolean(c.attr('autojoin')) ?? false,
      c.getChildText('nick', NS_BOOKMARKS2) ?? '',
      c.getChildText('password', NS_BOOKMARKS2) ?? '',
      c.getChild('extensions', NS_BOOKMARKS2)?.toString() ?? '',
    ]);
  return norm(a) === norm(b);
}

/**
 * Keeps XEP-0402 bookmarks, XEP-0048 private XML bookmarks and the XEP-0048
 * PEP node (XEP-0223) one list: the XEP-0402 node is the store; private XML
 * reads and writes are mapped to and from it, and a publication to either
 * PEP node updates the other.
 */
export class Bookmarks {
  private readonly engine: PubsubEngine;

  constructor(ctx: ModuleContext) {
    this.engine = ctx.use(PEP).engine;
  }

  private async bookmarks(owner: string): Promise<PubsubItem[]> {
    if (!(await this.engine.getNode(owner, NS_BOOKMARKS2))) return [];
    return this.engine.getItems(owner, NS_BOOKMARKS2);
  }

  /** The `<storage xmlns='storage:bookmarks'/>` a jabber:iq:private get returns. */
  async asStorage(owner: string): Promise<Element> {
    if (await this.engine.getNode(owner, NS_BOOKMARKS2))
      return legacyStorage(await this.engine.getItems(owner, NS_BOOKMARKS2));
    const legacy = (await this.engine.getItems(owner, NS_BOOKMARKS, { max: 1 }).catch(() => []))[0];
    const payload = legacy ? payloadOf(legacy) : undefined;
    return payload?.is('storage', NS_BOOKMARKS) ? payload : xml('storage', { xmlns: NS_BOOKMARKS });
  }

  /**
   * A new XEP-0048 list (private XML set, or a publication to the legacy PEP
   * node): changed and new bookmarks are published to the XEP-0402 node,
   * missing ones retracted, unchanged ones left alone (no notification).
   */
  async replaceFromStorage(owner: string, storage: Element, fromPrivate: boolean): Promise<void> {
    const current = new Map<string, Element>();
    for (const item of await this.bookmarks(owner)) {
      const p = payloadOf(item);
      if (p) current.set(item.id, p);
    }
    const wanted = conferencesOf(storage, current);
    let exists =
      current.size > 0 || (await this.engine.getNode(owner, NS_BOOKMARKS2)) !== undefined;
    for (const [id, conf] of wanted) {
      const had = current.get(id);
      if (had && sameConference(had, conf)) continue;
      await this.engine.publishItem(owner, NS_BOOKMARKS2, {
        id,
        payload: conf,
        ...(exists ? {} : { options: PRIVATE_NODE }),
        internal: true,
      });
      exists = true;
    }
    for (const id of current.keys())
      if (!wanted.has(id))
        await this.engine.retractItem(owner, NS_BOOKMARKS2, id, { notify: true, internal: true });
    if (fromPrivate) await this.mirrorToLegacyNode(owner);
  }

  /** Republishes the XEP-0048 PEP node (when the user has one) from the XEP-0402 bookmarks. */
  async mirrorToLegacyNode(owner: string): Promise<void> {
    if (!(await this.engine.getNode(owner, NS_BOOKMARKS))) return;
    await this.engine.publishItem(owner, NS_BOOKMARKS, {
      id: LEGACY_ITEM,
      payload: legacyStorage(await this.bookmarks(owner)),
      internal: true,
    });
  }

  /** PEP hook: keeps the two bookmark nodes in step after a client's publication. */
  async published(ev: PublishedEvent): Promise<void> {
    if (ev.internal) return;
    if (ev.node.node === NS_BOOKMARKS2) await this.mirrorToLegacyNode(ev.service);
    else if (ev.node.node === NS_BOOKMARKS) {
      const storage = payloadOf(ev.item);
      if (storage?.is('storage', NS_BOOKMARKS))
        await this.replaceFromStorage(ev.service, storage, false);
    }
  }

  async retracted(ev: RetractedEvent): Promise<void> {
    if (!ev.internal && ev.node.node === NS_BOOKMARKS2) await this.mirrorToLegacyNode(ev.service);
  }
}

/** The bookmark mapping, provided by the bookmarks module to the private module. */
export const BOOKMARKS = new ServiceKey<Bookmarks>('bookmarks');

/**
 * XEP-0402 PEP Native Bookmarks with both compatibility modes: #compat
 * (XEP-0048 bookmarks in private XML storage, see the private module, read
 * from and written to the XEP-0402 node) and #compat-pep (the XEP-0048 PEP
 * node of XEP-0223 kept in step with the XEP-0402 node both ways).
 */
export const bookmarksModule: ServerModule = {
  name: 'bookmarks',
  requires: ['pep'],
  xeps: [
    {
      xep: '0402',
      title: 'PEP Native Bookmarks',
      version: '1.2.0',
      note: 'with urn:xmpp:bookmarks:1#compat and #compat-pep',
    },
    {
      xep: '0048',
      title: 'Bookmarks',
      version: '1.2',
      note: 'in private XML storage and on PEP, both mapped to XEP-0402; URL bookmarks are not kept',
    },
  ],
  register(ctx) {
    const b = new Bookmarks(ctx);
    ctx.provide(BOOKMARKS, b);
    const rt = ctx.use(PEP);
    ctx.feature(`${NS_BOOKMARKS2}#compat`, 'account');
    ctx.feature(`${NS_BOOKMARKS2}#compat-pep`, 'account');
    rt.onPublished((ev) => b.published(ev));
    rt.onRetracted((ev) => b.retracted(ev));
  },
};
