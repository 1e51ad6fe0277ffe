/**
 * Subjects of the multi-user chat service (XEP-0045): a stanza for a MUC
 * domain (a room, an occupant or the service itself) goes to the MUC
 * partition of its bare JID (see inbound.ts).
 *
 *   xmpp.muc.<partition>.<jidToken>   stanzas for the room (or service) <jid>
 */
import type { Envelope } from './envelope.js';
import { encodeJidToken, partitionOf } from './subjects.js';

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
