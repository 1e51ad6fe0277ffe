/**
 * Subject scheme.
 *
 *   xmpp.r.<partition>.<jidToken>   stanzas and session operations for the account <jid>
 *   xmpp.gw.<gatewayId>             deliveries and control messages for one gateway
 *   xmpp.muc.<partition>.<jidToken> stanzas for a MUC room or service (see muc.ts)
 *
 * <partition> = fnv1a32(bare JID) mod partitions. One worker owns each
 * partition at a time, so everything for one account is handled in order.
 */
import { fnv1a32 } from '@parley/hash';

export const ROUTE_PREFIX = 'xmpp.r';
export const GATEWAY_PREFIX = 'xmpp.gw';

/** The partition of a bare JID: FNV-1a 32 over its UTF-16 code units, mod `partitions`. */
export function partitionOf(bareJid: string, partitions: number): number {
  return fnv1a32(bareJid) % partitions;
}

const UNSAFE = /[^A-Za-z0-9@_-]/g;

function percentEncode(ch: string): string {
  let out = '';
  for (const b of Buffer.from(ch, 'utf8'))
    out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/**
 * Encodes a bare JID as one subject token: characters outside [A-Za-z0-9@_-]
 * become %XX of their UTF-8 bytes, so '.', '*', '>', spaces and non-ASCII are
 * never in a subject.
 */
export function encodeJidToken(bareJid: string): string {
  // Whole code points (a surrogate pair is one character of four UTF-8 bytes).
  return bareJid.replace(UNSAFE, (ch, offset: number) => {
    const code = bareJid.charCodeAt(offset);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = bareJid.charCodeAt(offset + 1);
      if (next >= 0xdc00 && next <= 0xdfff) return percentEncode(bareJid.slice(offset, offset + 2));
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      const prev = bareJid.charCodeAt(offset - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) return ''; // the second half, encoded with the first
    }
    return percentEncode(ch);
  });
}

export function decodeJidToken(token: string): string {
  return decodeURIComponent(token);
}

/**
 * Subjects of recently routed accounts: the same few thousand bare JIDs are
 * routed again and again, and hashing and encoding each time was a visible
 * part of a routed stanza's CPU and garbage. Emptied when full.
 */
const ROUTE_SUBJECTS_MAX = 50_000;
const routeSubjects = new Map<string, string>();
let routeSubjectsPartitions = 0;

export function routeSubject(bareJid: string, partitions: number): string {
  if (partitions !== routeSubjectsPartitions) {
    routeSubjects.clear();
    routeSubjectsPartitions = partitions;
  }
  let subject = routeSubjects.get(bareJid);
  if (subject === undefined) {
    subject = `${ROUTE_PREFIX}.${partitionOf(bareJid, partitions)}.${encodeJidToken(bareJid)}`;
    if (routeSubjects.size >= ROUTE_SUBJECTS_MAX) routeSubjects.clear();
    routeSubjects.set(bareJid, subject);
  }
  return subject;
}

/** Subscription pattern for everything in one partition. */
export function partitionPattern(partition: number): string {
  return `${ROUTE_PREFIX}.${partition}.*`;
}

/** Where a gateway re-registers its sessions of one partition (`session-sync`). */
export function syncSubject(partition: number): string {
  return `${ROUTE_PREFIX}.${partition}._sync`;
}

/** Subjects of the gateways seen (a handful per cluster). */
const gatewaySubjects = new Map<string, string>();

export function gatewaySubject(gatewayId: string): string {
  let subject = gatewaySubjects.get(gatewayId);
  if (subject === undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(gatewayId)) throw new Error(`invalid gateway id: ${gatewayId}`);
    subject = `${GATEWAY_PREFIX}.${gatewayId}`;
    if (gatewaySubjects.size >= 10_000) gatewaySubjects.clear();
    gatewaySubjects.set(gatewayId, subject);
  }
  return subject;
}

/** Name of the durable consumer through which a gateway reads its subject. */
export function gatewayConsumerName(gatewayId: string): string {
  return `gw-${gatewayId}`;
}

/** Subjects held by the durable stream: route subjects, gateway deliveries, MUC and S2S partitions. */
export const DURABLE_SUBJECTS = [
  `${ROUTE_PREFIX}.>`,
  `${GATEWAY_PREFIX}.>`,
  'xmpp.muc.>',
  'xmpp.s2s.>',
];

const PARTITIONED = /^(xmpp\.[a-z]+\.\d+)\./;

/**
 * The ordering scope of a subject: what one consumer reads in order. A
 * partitioned subject (`xmpp.<family>.<partition>.<token>`) belongs to its
 * partition; any other subject (a gateway's) is its own scope. The NATS bus
 * batches durable messages of one scope together.
 */
export function orderingScopeOf(subject: string): string {
  const m = PARTITIONED.exec(subject);
  return m ? m[1]! : subject;
}
