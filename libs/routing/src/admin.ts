/**
 * Control-plane messages of the admin API (services/admin-api). They reach
 * the session registry two ways:
 *
 *   xmpp.r.<partition>.<jidToken>   per-account requests (`AdminRequest`), sent
 *                                   with a durable request so they run in the
 *                                   account's partition order
 *   xmpp.admin.registry             `AdminQuery`, fanned out to every registry
 *                                   worker; each answers on `replyTo` for the
 *                                   partitions it owns (`AdminQueryAnswer`)
 *   xmpp.admin.relay.<instance>     stanzas the registry relays to one admin
 *                                   API instance: those addressed to
 *                                   `<mucActor>/admin-api.<instance>` (answers
 *                                   of the MUC service to the API's IQs)
 */
export const ADMIN_PREFIX = 'xmpp.admin';
/** Every registry worker subscribes to this subject (no queue group). */
export const ADMIN_REGISTRY_SUBJECT = `${ADMIN_PREFIX}.registry`;
const RELAY_RESOURCE = 'admin-api.';

/** The resource the admin API instance `instance` uses as the MUC actor. */
export function adminRelayResource(instance: string): string {
  checkInstance(instance);
  return `${RELAY_RESOURCE}${instance}`;
}

/** The instance an actor resource belongs to, or undefined when it is not an admin API resource. */
export function adminRelayInstance(resource: string): string | undefined {
  if (!resource.startsWith(RELAY_RESOURCE)) return undefined;
  const instance = resource.slice(RELAY_RESOURCE.length);
  return /^[A-Za-z0-9_-]+$/.test(instance) ? instance : undefined;
}

/** Where the registry relays stanzas for one admin API instance. */
export function adminRelaySubject(instance: string): string {
  checkInstance(instance);
  return `${ADMIN_PREFIX}.relay.${instance}`;
}

/** A fresh reply subject for one fan-out query of an admin API instance. */
export function adminReplySubject(instance: string, seq: number): string {
  checkInstance(instance);
  return `${ADMIN_PREFIX}.reply.${instance}.${seq}`;
}

function checkInstance(instance: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(instance))
    throw new Error(`invalid admin API instance: ${instance}`);
}

/** One bound resource as the admin API shows it. */
export interface AdminSessionInfo {
  /** Full JID. */
  jid: string;
  gw: string;
  conn: string;
  /** Sent available presence. */
  available: boolean;
  priority: number;
  show?: string;
  status?: string;
  boundAt: number;
  /** XEP-0198 resumption enabled. */
  resumable: boolean;
}

/** Requests for one account, to the owner of its partition (request/reply, durable). */
export type AdminRequest =
  | { t: 'admin-sessions'; jid: string }
  | {
      t: 'admin-kick';
      jid: string;
      /** One resource; all of them when absent. */
      resource?: string;
      text?: string;
    }
  | {
      /**
       * Runs an IQ get/set as the account itself (from and to its bare JID)
       * through the registry's account IQ handlers (roster, vcard, private
       * storage...), so pushes, caches and checks happen as for a client.
       */
      t: 'admin-iq';
      jid: string;
      /** The serialized <iq/>. */
      xml: string;
    }
  | {
      /** Sets a roster item's subscription state directly (mutual subscription). */
      t: 'admin-subscription';
      jid: string;
      contact: string;
      subscription: 'none' | 'to' | 'from' | 'both';
      name?: string;
      groups?: string[];
    };

export type AdminReply =
  | { ok: true; sessions?: AdminSessionInfo[]; kicked?: number; xml?: string }
  | { ok: false; condition: string; text?: string };

export function isAdminRequest(m: { t: string }): m is AdminRequest {
  return m.t.startsWith('admin-');
}

/** Fanned out to every registry worker on ADMIN_REGISTRY_SUBJECT. */
export type AdminQuery =
  | { t: 'stats'; replyTo: string }
  | {
      t: 'sessions';
      replyTo: string;
      /** Only sessions of accounts of this domain. */
      domain?: string;
      /** Full JIDs strictly after this one (code-point order). */
      after?: string;
      limit: number;
    };

export interface AdminQueryAnswer {
  /** Node id of the answering worker. */
  node: string;
  /** The partitions it owns: the admin API waits until every partition is covered. */
  partitions: number[];
  sessions: number;
  users: number;
  /** Sessions per gateway. */
  byGateway: Record<string, number>;
  /** Messages handed to gateways per second, over the last minute. */
  messagesPerSecond: number;
  /** For 'sessions': the first `limit` matching sessions, in full-JID order. */
  list?: AdminSessionInfo[];
  /** For 'sessions': how many sessions match the domain filter. */
  matching?: number;
}
