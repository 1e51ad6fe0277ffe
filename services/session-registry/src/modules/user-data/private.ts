import { badRequest, forbidden, notAcceptable, resourceConstraint } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { BOOKMARKS, NS_BOOKMARKS } from './bookmarks.js';
import type { IqRequest, ServerModule } from '../types.js';

export const NS_PRIVATE = 'jabber:iq:private';

/** The account whose private data this is: only its own resources may touch it. */
function ownAccount(req: IqRequest): string {
  const owner = req.from.toBareString();
  if (req.to.toBareString() !== owner) throw forbidden('private XML belongs to its account');
  return owner;
}

/** The child's namespace and a copy that keeps it when serialized alone. */
function qualified(child: Element): { ns: string; el: Element } {
  const ns = child.getNS();
  if (!ns || ns === NS_PRIVATE) throw notAcceptable('the stored element needs its own namespace');
  const el = child.clone();
  if (!child.name.includes(':')) el.setAttr('xmlns', ns);
  return { ns, el };
}

/**
 * XEP-0049 Private XML Storage: any element in its own namespace, kept per
 * account by element name and namespace. XEP-0048 bookmarks
 * (`<storage xmlns='storage:bookmarks'/>`) are not stored here while the
 * bookmarks module is enabled: they are read from and written to the
 * XEP-0402 PEP node. Without it they are stored like any other element.
 */
export const privateModule: ServerModule = {
  name: 'private',
  configSections: ['pubsub', 'quotas'],
  after: ['bookmarks'],
  xeps: [{ xep: '0049', title: 'Private XML Storage', version: '1.2' }],
  register(ctx) {
    const b = ctx.tryUse(BOOKMARKS);
    ctx.feature(NS_PRIVATE);

    /** Bytes stored after the set, against `quotas.privateXmlBytes` (bookmarks live in PEP). */
    const checkQuota = async (owner: string, children: { ns: string; el: Element }[]) => {
      const max = ctx.config.quotas.privateXmlBytes;
      if (max === 0) return;
      const stored = new Map<string, { ns: string; el: Element }>();
      for (const c of children) {
        if (b && c.el.localName === 'storage' && c.ns === NS_BOOKMARKS) continue;
        stored.set(JSON.stringify([c.ns, c.el.localName]), c); // the last one of a key stays
      }
      if (stored.size === 0) return;
      let total = await ctx.stores.privateXml.usage(owner);
      for (const { ns, el } of stored.values()) {
        const old = await ctx.stores.privateXml.get(owner, el.localName, ns);
        total +=
          Buffer.byteLength(el.toString()) - (old === undefined ? 0 : Buffer.byteLength(old));
      }
      if (total > max)
        throw resourceConstraint(`private XML storage is limited to ${max} bytes per account`);
    };

    ctx.accountIq('get', NS_PRIVATE, async (req) => {
      const owner = ownAccount(req);
      const children = req.payload.getChildElements();
      if (children.length === 0) throw notAcceptable('name the element to retrieve');
      if (children.length > 1) throw badRequest('one element per request');
      const { ns, el } = qualified(children[0]!);
      let found: Element;
      if (b && el.localName === 'storage' && ns === NS_BOOKMARKS) found = await b.asStorage(owner);
      else {
        const stored = await ctx.stores.privateXml.get(owner, el.localName, ns);
        found = stored ? parseXml(stored) : xml(el.localName, { xmlns: ns });
      }
      return xml('query', { xmlns: NS_PRIVATE }, found);
    });

    ctx.accountIq('set', NS_PRIVATE, async (req) => {
      const owner = ownAccount(req);
      const children = req.payload.getChildElements().map(qualified);
      if (children.length === 0) throw notAcceptable('nothing to store');
      for (const { el } of children)
        if (Buffer.byteLength(el.toString()) > ctx.config.pubsub.maxPayloadBytes)
          throw notAcceptable('the element is too large');
      await checkQuota(owner, children);
      for (const { ns, el } of children) {
        if (b && el.localName === 'storage' && ns === NS_BOOKMARKS)
          await b.replaceFromStorage(owner, el, true);
        else await ctx.stores.privateXml.set(owner, el.localName, ns, el.toString());
      }
      return undefined;
    });
  },
};
