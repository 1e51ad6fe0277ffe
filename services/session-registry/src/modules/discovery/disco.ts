import type { JID } from '@parley/jid';
import { domainOf } from '@parley/jid';
import { ServiceKey } from '@parley/modules';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, itemNotFound } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Identity, ServerModule } from '../types.js';

function infoResult(
  node: string | undefined,
  identities: Identity[],
  features: string[],
  forms: readonly Element[] = [],
): Element {
  const q = xml('query', { xmlns: NS_DISCO_INFO, node });
  for (const id of identities)
    q.c('identity', { category: id.category, type: id.type, name: id.name });
  for (const f of [...new Set(features)].sort()) q.c('feature', { var: f });
  // XEP-0128 extensions (e.g. XEP-0157 contact addresses).
  for (const form of forms) q.append(form.clone());
  return q;
}

/**
 * Whether a disco item belongs in the disco#items of `domain`: a service on
 * a subdomain of one of the served domains is listed by that domain only,
 * any other item by every domain.
 */
function listedOn(jid: string, domain: string, domains: readonly string[]): boolean {
  const host = domainOf(jid);
  let parent: string | undefined;
  for (const d of domains)
    if (host.endsWith(`.${d}`) && d.length > (parent?.length ?? -1)) parent = d;
  return parent === undefined || parent === domain;
}

/**
 * What a module adds to the disco of accounts (XEP-0030 on a bare JID):
 * the nodes it holds there, e.g. PEP nodes. An answer is `undefined` when
 * the node is not the provider's; a StanzaError thrown is the answer.
 */
export interface AccountDiscoNodes {
  /** disco#info of one node of `owner`, asked by `from`. */
  info(owner: string, node: string, from: JID): Promise<Element[] | undefined>;
  /** disco#items of `owner` itself (`node` undefined: every provider's items are listed) or of one node. */
  items(owner: string, node: string | undefined, from: JID): Promise<Element[] | undefined>;
}

/**
 * What a module adds to the disco of the server under a node (e.g. the
 * XEP-0050 command list); `undefined` when the node is not the provider's.
 */
export interface ServerDiscoNodes {
  info(domain: string, node: string, from: JID): Promise<Element[] | undefined>;
  items(domain: string, node: string, from: JID): Promise<Element[] | undefined>;
}

/** The disco module's registry of node providers. */
export interface Disco {
  addAccountNodes(provider: AccountDiscoNodes): void;
  addServerNodes(provider: ServerDiscoNodes): void;
}

/** Provided by the disco module; modules with account nodes require 'disco'. */
export const DISCO = new ServiceKey<Disco>('disco');

/**
 * XEP-0030: Service Discovery. The feature lists are built from what the
 * enabled modules registered, so they always match what the server does;
 * the nodes of an account come from the providers registered on DISCO.
 */
export const discoModule: ServerModule = {
  name: 'disco',
  configSections: ['modules.version'],
  xeps: [{ xep: '0030', title: 'Service Discovery', version: '2.5rc3' }],
  register(ctx) {
    const providers: AccountDiscoNodes[] = [];
    const serverProviders: ServerDiscoNodes[] = [];
    ctx.provide(DISCO, {
      addAccountNodes: (p) => void providers.push(p),
      addServerNodes: (p) => void serverProviders.push(p),
    });
    ctx.identity({ category: 'server', type: 'im', name: ctx.config.modules.version.name });
    ctx.identity({ category: 'account', type: 'registered' }, 'account');
    for (const scope of ['server', 'account'] as const) {
      ctx.feature(NS_DISCO_INFO, scope);
      ctx.feature(NS_DISCO_ITEMS, scope);
    }
    ctx.serverIq('get', NS_DISCO_INFO, async ({ payload, from, to }) => {
      const node = payload.attr('node');
      if (node !== undefined) {
        for (const p of serverProviders) {
          const found = await p.info(to.domain, node, from);
          if (found !== undefined) return xml('query', { xmlns: NS_DISCO_INFO, node }, ...found);
        }
        throw itemNotFound();
      }
      return infoResult(
        node,
        ctx.identities('server'),
        ctx.features('server'),
        ctx.infoForms('server'),
      );
    });
    ctx.serverIq('get', NS_DISCO_ITEMS, async ({ payload, from, to }) => {
      const node = payload.attr('node');
      if (node !== undefined) {
        for (const p of serverProviders) {
          const found = await p.items(to.domain, node, from);
          if (found !== undefined) return xml('query', { xmlns: NS_DISCO_ITEMS, node }, ...found);
        }
        throw itemNotFound();
      }
      const q = xml('query', { xmlns: NS_DISCO_ITEMS });
      for (const item of ctx.discoItems())
        if (listedOn(item.jid, to.domain, ctx.config.server.domains))
          q.c('item', { jid: item.jid, name: item.name });
      return q;
    });
    ctx.accountIq('get', NS_DISCO_INFO, async ({ payload, from, to }) => {
      const node = payload.attr('node');
      if (node === undefined) {
        return infoResult(
          undefined,
          ctx.identities('account'),
          ctx.features('account'),
          ctx.infoForms('account'),
        );
      }
      for (const p of providers) {
        const found = await p.info(to.toBareString(), node, from);
        if (found !== undefined) return xml('query', { xmlns: NS_DISCO_INFO, node }, ...found);
      }
      throw itemNotFound();
    });
    ctx.accountIq('get', NS_DISCO_ITEMS, async ({ payload, from, to }) => {
      const owner = to.toBareString();
      const node = payload.attr('node');
      const q = xml('query', { xmlns: NS_DISCO_ITEMS, node });
      for (const p of providers) {
        const found = await p.items(owner, node, from);
        if (found === undefined) continue;
        for (const el of found) q.append(el);
        if (node !== undefined) return q;
      }
      if (node !== undefined) throw itemNotFound();
      return q;
    });
  },
};
