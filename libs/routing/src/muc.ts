/**
 * Subjects of the multi-user chat service (XEP-0045) and the choice every
 * sender makes at stage 'in': a stanza for a MUC domain (a room, an
 * occupant or the service itself) goes to the MUC partition of its bare
 * JID, anything else to the registry partition of its recipient.
 *
 *   xmpp.muc.<partition>.<jidToken>   stanzas for the room (or service) <jid>
 */
import type { Bus } from '@parley/bus';
import type { Envelope, RegistryMessage } from './envelope.js';
import { encodeJidToken, partitionOf, routeSubject } from './subjects.js';

export const MUC_PREFIX = 'xmpp.muc';

/** What a MUC worker consumes on a partition subject. */
export type MucMessage = { t: 'stanza'; env: Envelope };

export function mucSubject(bareJid: string, partitions: number): string {
  return `${MUC_PREFIX}.${partitionOf(bareJid, partitions)}.${encodeJidToken(bareJid)}`;
}

/** Subscription pattern for everything in one MUC partition. */
export function mucPartitionPattern(partition: number): string {
  return `${MUC_PREFIX}.${partition}.*`;
}

/** Name of the durable consumer of one MUC partition. */
export function mucConsumerName(partition: number): string {
  return `muc-p${partition}`;
}

/** The MUC service domains: `<subdomain>.<domain>` for every served domain. */
export function mucServiceDomains(domains: readonly string[], subdomain: string): string[] {
  return domains.map((d) => `${subdomain}.${d}`);
}

/** Where stage-'in' stanzas go: registry partitions, or MUC partitions for MUC domains. */
export interface InboundRoutes {
  partitions: number;
  mucPartitions: number;
  mucDomains: ReadonlySet<string>;
}

/** The routes of a configuration (structurally a @parley/config Config). */
export function inboundRoutes(config: {
  server: { domains: readonly string[] };
  routing: { partitions: number };
  muc: { enabled: boolean; subdomain: string; partitions: number };
}): InboundRoutes {
  return {
    partitions: config.routing.partitions,
    mucPartitions: config.muc.partitions,
    mucDomains: new Set(
      config.muc.enabled ? mucServiceDomains(config.server.domains, config.muc.subdomain) : [],
    ),
  };
}

/** The subject of a stanza addressed to `bareJid` (whose domain part is `domain`). */
export function inboundSubject(bareJid: string, domain: string, routes: InboundRoutes): string {
  return routes.mucDomains.has(domain)
    ? mucSubject(bareJid, routes.mucPartitions)
    : routeSubject(bareJid, routes.partitions);
}

/**
 * Publishes a stanza, as stage 'in', to the partition of its recipient
 * (`bareJid`, domain `domain`): the one publish every sender (registry,
 * MUC worker) uses, so the delivery rules stay in one place.
 */
export function publishInbound(
  bus: Bus,
  env: Envelope,
  bareJid: string,
  domain: string,
  routes: InboundRoutes,
): Promise<void> {
  const msg: RegistryMessage = {
    t: 'stanza',
    env: env.stage === 'in' ? env : { ...env, stage: 'in' },
  };
  return bus.publishDurable(inboundSubject(bareJid, domain, routes), msg);
}
