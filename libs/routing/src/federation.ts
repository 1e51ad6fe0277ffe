/**
 * Subjects of the S2S service: stanzas for a remote domain (another XMPP
 * server, RFC 6120 server-to-server) or for an external component (XEP-0114)
 * go to the S2S partition of that domain, whose owner holds the outbound
 * connection (or knows which node holds the component's connection).
 *
 *   xmpp.s2s.<partition>.<domainToken>   stanzas for the domain <domain>
 *   xmpp.comp.<domainToken>              stanzas handed to the node holding
 *                                        the component <domain> (request/reply)
 *
 * <partition> = fnv1a32(domain) mod s2s.partitions, like the registry's.
 */
import type { Envelope } from './envelope.js';
import { encodeJidToken, partitionOf } from './subjects.js';

export const S2S_PREFIX = 'xmpp.s2s';
export const COMPONENT_PREFIX = 'xmpp.comp';

/** What the S2S service consumes on a partition subject: a stanza for a remote domain or component. */
export type S2sMessage = { t: 'stanza'; env: Envelope };

/** The S2S partition subject of a remote domain (or component domain). */
export function s2sSubject(domain: string, partitions: number): string {
  return `${S2S_PREFIX}.${partitionOf(domain, partitions)}.${encodeJidToken(domain)}`;
}

/** Subscription pattern for everything in one S2S partition. */
export function s2sPartitionPattern(partition: number): string {
  return `${S2S_PREFIX}.${partition}.*`;
}

/** Name of the durable consumer of one S2S partition. */
export function s2sConsumerName(partition: number): string {
  return `s2s-p${partition}`;
}

/** Where the node holding a component's connection takes its stanzas (bus request). */
export function componentSubject(domain: string): string {
  return `${COMPONENT_PREFIX}.${encodeJidToken(domain)}`;
}
