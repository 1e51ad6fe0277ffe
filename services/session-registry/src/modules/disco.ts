import { domainOf } from '@parley/jid';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, itemNotFound } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Identity, ServerModule } from './types.js';

function infoResult(node: string | undefined, identities: Identity[], features: string[]): Element {
  const q = xml('query', { xmlns: NS_DISCO_INFO, node });
  for (const id of identities)
    q.c('identity', { category: id.category, type: id.type, name: id.name });
  for (const f of [...new Set(features)].sort()) q.c('feature', { var: f });
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
 * XEP-0030: Service Discovery. The feature lists are built from what the
 * enabled modules registered, so they always match what the server does.
 */
export const discoModule: ServerModule = {
  name: 'disco',
  xeps: [{ xep: '0030', title: 'Service Discovery', version: '2.5rc3' }],
  register(ctx) {
    ctx.identity({ category: 'server', type: 'im', name: ctx.config.modules.version.name });
    ctx.identity({ category: 'account', type: 'registered' }, 'account');
    for (const scope of ['server', 'account'] as const) {
      ctx.feature(NS_DISCO_INFO, scope);
      ctx.feature(NS_DISCO_ITEMS, scope);
    }
    ctx.serverIq('get', NS_DISCO_INFO, async ({ payload }) => {
      const node = payload.attr('node');
      if (node !== undefined) throw itemNotFound();
      return infoResult(node, ctx.identities('server'), ctx.features('server'));
    });
    ctx.serverIq('get', NS_DISCO_ITEMS, async ({ payload, to }) => {
      if (payload.attr('node') !== undefined) throw itemNotFound();
      const q = xml('query', { xmlns: NS_DISCO_ITEMS });
      for (const item of ctx.discoItems())
        if (listedOn(item.jid, to.domain, ctx.config.server.domains))
          q.c('item', { jid: item.jid, name: item.name });
      return q;
    });
    ctx.accountIq('get', NS_DISCO_INFO, async ({ payload }) => {
      if (payload.attr('node') !== undefined) throw itemNotFound();
      return infoResult(undefined, ctx.identities('account'), ctx.features('account'));
    });
    ctx.accountIq('get', NS_DISCO_ITEMS, async ({ payload }) => {
      if (payload.attr('node') !== undefined) throw itemNotFound();
      return xml('query', { xmlns: NS_DISCO_ITEMS });
    });
  },
};
