/**
 * The choice every sender makes at stage 'in' (registry, MUC worker, S2S
 * service, admin API): where a stanza for a bare JID goes.
 *
 * - a MUC domain (room, occupant, the service): the MUC partition of the bare JID;
 * - a domain served here (an account, the domain itself, a service such as
 *   pubsub.<domain> or upload.<domain>): the registry partition of the bare JID;
 * - an external component's domain (XEP-0114), or any other domain when
 *   federation is on: the S2S partition of the domain;
 * - otherwise nowhere: the domain cannot be reached (remote-server-not-found).
 */
import type { Bus } from '@parley/bus';
import type { Envelope, RegistryMessage } from './envelope.js';
import { s2sSubject } from './federation.js';
import { mucServiceDomains, mucSubject } from './muc.js';
import { routeSubject } from './subjects.js';
import { versioned } from './protocol.js';

/** Where stage-'in' stanzas go. */
export interface InboundRoutes {
  partitions: number;
  mucPartitions: number;
  mucDomains: ReadonlySet<string>;
  /** Domains handled at registry partitions: the served domains and their service domains. */
  hosted: ReadonlySet<string>;
  /** Domains of external components (XEP-0114), reached through the S2S partitions. */
  components: ReadonlySet<string>;
  /** Federation is on: every other domain is reached through the S2S partitions. */
  federation: boolean;
  s2sPartitions: number;
}

/** The routes of a configuration (structurally a @parley/config Config). */
export function inboundRoutes(config: {
  server: { domains: readonly string[] };
  routing: { partitions: number };
  muc: { enabled: boolean; subdomain: string; partitions: number };
  pubsub?: { enabled: boolean; subdomain: string };
  upload?: { enabled: boolean; subdomain: string };
  push?: { service: { enabled: boolean; subdomain: string } };
  s2s?: { enabled: boolean; partitions: number };
  components?: { list: readonly { domain: string }[] };
}): InboundRoutes {
  const domains = config.server.domains;
  const hosted = new Set(domains);
  if (config.pubsub?.enabled === true)
    for (const d of domains) hosted.add(`${config.pubsub.subdomain}.${d}`);
  if (config.upload?.enabled === true)
    for (const d of domains) hosted.add(`${config.upload.subdomain}.${d}`);
  if (config.push?.service.enabled === true)
    for (const d of domains) hosted.add(`${config.push.service.subdomain}.${d}`);
  return {
    partitions: config.routing.partitions,
    mucPartitions: config.muc.partitions,
    mucDomains: new Set(config.muc.enabled ? mucServiceDomains(domains, config.muc.subdomain) : []),
    hosted,
    components: new Set((config.components?.list ?? []).map((c) => c.domain)),
    federation: config.s2s?.enabled === true,
    s2sPartitions: config.s2s?.partitions ?? 1,
  };
}

/** A domain is reached through the S2S service: a component's, or a remote one with federation on. */
export function isS2sDomain(domain: string, routes: InboundRoutes): boolean {
  if (routes.components.has(domain)) return true;
  return routes.federation && !routes.hosted.has(domain) && !routes.mucDomains.has(domain);
}

/**
 * The subject of a stanza addressed to `bareJid` (whose domain part is
 * `domain`); undefined when the domain cannot be reached from here.
 */
export function inboundSubject(
  bareJid: string,
  domain: string,
  routes: InboundRoutes,
): string | undefined {
  if (routes.mucDomains.has(domain)) return mucSubject(bareJid, routes.mucPartitions);
  if (routes.hosted.has(domain)) return routeSubject(bareJid, routes.partitions);
  if (isS2sDomain(domain, routes)) return s2sSubject(domain, routes.s2sPartitions);
  return undefined;
}

/** A stanza for a domain that cannot be reached (see {@link inboundSubject}). */
export class UnreachableDomainError extends Error {
  override readonly name = 'UnreachableDomainError';
  constructor(readonly domain: string) {
    super(`no route to domain ${domain}`);
  }
}

/**
 * Publishes a stanza, as stage 'in', to the partition of its recipient
 * (`bareJid`, domain `domain`): the one publish every sender (registry,
 * MUC worker, S2S service) uses, so the delivery rules stay in one place.
 * Rejects with {@link UnreachableDomainError} when the domain cannot be
 * reached: the caller answers with remote-server-not-found where it must.
 */
export function publishInbound(
  bus: Bus,
  env: Envelope,
  bareJid: string,
  domain: string,
  routes: InboundRoutes,
): Promise<void> {
  const subject = inboundSubject(bareJid, domain, routes);
  if (subject === undefined) return Promise.reject(new UnreachableDomainError(domain));
  const msg: RegistryMessage = versioned({
    t: 'stanza',
    env: env.stage === 'in' ? env : { ...env, stage: 'in' },
  });
  return bus.publishDurable(subject, msg);
}
