import type { JID } from '@parley/jid';
import {
  BASE_DEFAULTS,
  NS_PUBSUB,
  NS_PUBSUB_OWNER,
  PubsubEngine,
  SERVICE_FEATURES,
  pubsubFeature,
} from '@parley/pubsub';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, serviceUnavailable } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { refuseServiceMessage, replyToServiceIq } from '../service-stanzas.js';
import type { ModuleContext, ServerModule, ServiceStanza } from '../types.js';

/** The JID of the pubsub service of a served domain. */
export function pubsubServiceJid(ctx: ModuleContext, domain: string): string {
  return `${ctx.config.pubsub.subdomain}.${domain}`;
}

/**
 * XEP-0060 on a component JID: pubsub.<domain> for every served domain
 * (`pubsub.enabled`, subdomain `pubsub.subdomain`). The module owns that
 * service domain: its stanzas are routed to the service's partition, where
 * this module answers them with the same engine as PEP (open access by
 * default, nodes created by local users, who own them). Listed in the
 * server's disco#items.
 */
export const pubsubServiceModule: ServerModule = {
  name: 'pubsub-service',
  configSections: ['pubsub'],
  xeps: [
    {
      xep: '0060',
      title: 'Publish-Subscribe',
      version: '1.26.0',
      note: 'service on pubsub.<domain>: nodes created by local users; leaf nodes, no subscription options, collections or leases',
    },
  ],
  enabled: (config) => config.pubsub.enabled,
  register(ctx) {
    const cfg = ctx.config.pubsub;
    const local = new Set(ctx.config.server.domains);
    const defer = (task: () => Promise<void>) =>
      setImmediate(() => {
        task().catch((err: unknown) => ctx.logger.error('pubsub task failed', { err }));
      });
    const engine = new PubsubEngine(
      {
        store: ctx.stores.pubsub,
        send: (stanza) => ctx.send(stanza),
        rosterItem: async (owner, contact) => {
          const item = await ctx.stores.rosters.getItem(owner, contact);
          return item && { subscription: item.subscription, groups: item.groups };
        },
        defer,
      },
      {
        pep: false,
        defaults: { ...BASE_DEFAULTS, max_items: cfg.serviceDefaultMaxItems },
        limits: { maxItems: cfg.maxItems },
        maxPayloadBytes: cfg.maxPayloadBytes,
        autoCreate: true,
        canCreate: (_service, who) => who.local !== '' && local.has(who.domain),
      },
    );
    for (const domain of ctx.config.server.domains) {
      const service = pubsubServiceJid(ctx, domain);
      ctx.discoItem(service, 'Publish-Subscribe');
      ctx.serviceDomain(service, (s) => handle(ctx, engine, service, s));
    }
  },
};

async function handle(
  ctx: ModuleContext,
  engine: PubsubEngine,
  service: string,
  { env, from, to }: ServiceStanza,
): Promise<void> {
  const stanza = parseXml(env.xml);
  const addressed = to.local === '' && to.resource === '' && to.domain === service;
  if (env.kind === 'iq') {
    const type = env.type;
    if (type !== 'get' && type !== 'set') return;
    await replyToServiceIq(ctx, env, stanza, 'pubsub service request', () => {
      if (!addressed) throw serviceUnavailable();
      return answer(engine, service, from, type, stanza);
    });
    return;
  }
  if (env.kind === 'message') {
    if (addressed && (await engine.handleMessage(service, from, stanza))) return;
    refuseServiceMessage(ctx, env, stanza);
  }
  // Presence to the service: no presence-based delivery, nothing to do.
}

/** The result payload of an IQ get/set to the service; throws a StanzaError. */
async function answer(
  engine: PubsubEngine,
  service: string,
  from: JID,
  type: 'get' | 'set',
  iq: Element,
): Promise<Element | undefined> {
  const payload = iq.getChildElements()[0];
  if (!payload) throw serviceUnavailable();
  const ns = payload.getNS();
  if (ns === NS_PUBSUB || ns === NS_PUBSUB_OWNER)
    return engine.handleIq(service, from, type, payload);
  if (type === 'get' && payload.is('query', NS_DISCO_INFO)) {
    const node = payload.attr('node');
    const q = xml('query', { xmlns: NS_DISCO_INFO, node });
    if (node !== undefined) {
      for (const el of await engine.nodeInfo(service, node, from)) q.append(el);
      return q;
    }
    q.c('identity', { category: 'pubsub', type: 'service', name: 'Publish-Subscribe' });
    const features = [
      NS_DISCO_INFO,
      NS_DISCO_ITEMS,
      NS_PUBSUB,
      ...SERVICE_FEATURES.map(pubsubFeature),
    ];
    for (const f of features.sort()) q.c('feature', { var: f });
    return q;
  }
  if (type === 'get' && payload.is('query', NS_DISCO_ITEMS)) {
    const node = payload.attr('node');
    return xml(
      'query',
      { xmlns: NS_DISCO_ITEMS, node },
      ...(await engine.discoItems(service, node, from)),
    );
  }
  throw serviceUnavailable();
}
