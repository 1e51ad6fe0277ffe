/**
 * What travels on the bus between gateways and workers. A stanza is carried
 * serialized (`xml`) next to the routing metadata a forwarding hop needs, so a
 * hop that only forwards never re-parses XML.
 */
export type StanzaKind = 'message' | 'presence' | 'iq';

/**
 * Processing stage of a stanza:
 * - `out`: sent by a local client; processed at the sender's home partition
 *   (outbound rules: presence broadcast, roster, server IQs, carbons).
 * - `in`: on its way to the recipient; processed at the recipient's home
 *   partition (inbound rules: RFC 6121 section 8 delivery, offline storage).
 */
export type Stage = 'out' | 'in';

export interface Envelope {
  stage: Stage;
  kind: StanzaKind;
  /** The stanza's type attribute, '' when absent. */
  type: string;
  id?: string;
  /** Full JID of the sender, stamped by the gateway (or the server's domain / a bare JID for server-generated stanzas). */
  from: string;
  /** Normalized 'to' as written; '' when the stanza had none (addressed to the sender's own account). */
  to: string;
  /** The serialized stanza, with normalized from/to already in it. */
  xml: string;
  /** Origin connection of a client stanza (stage 'out'). */
  gw?: string;
  conn?: string;
  /** Monotonic send time (ms, from performance.timeOrigin + now) for latency metrics. */
  ts?: number;
  /** W3C traceparent of the span that sent it on, when the stanza is being traced. */
  tp?: string;
  /**
   * Delivery id: stamped by the registry when it first hands the stanza to a
   * gateway (`deliver`), kept when the delivery comes back (bounce, drained,
   * parked, fenced) and is delivered again. A resuming gateway stores it with
   * each XEP-0198 queue entry and drops a later delivery to the same session
   * with the same id and stanza: the copy it already retransmitted from the
   * resumption record (docs/architecture.md, "The resumption fence").
   */
  did?: string;
}

/** Messages consumed by the session registry on a partition subject. */
export type RegistryMessage =
  | { t: 'stanza'; env: Envelope }
  | BindRequest
  | UnbindRequest
  | BounceRequest
  | GatewayDown
  | AccountRemoved
  | SessionResumable
  | SessionDetached
  | SessionSync
  | FenceDone
  | ServerInfoRequest;

/**
 * A gateway asks for the service discovery information (XEP-0030 disco#info)
 * of a served `domain`, to advertise the server's XEP-0115 capabilities in
 * its stream features. A request on the domain's route subject, answered
 * with {@link ServerInfoReply} by the worker owning that partition.
 */
export interface ServerInfoRequest {
  t: 'server-info';
  domain: string;
}

/** The disco#info `<query/>` a client would get from the domain, serialized. */
export type ServerInfoReply = { ok: true; xml: string } | { ok: false };

/**
 * XEP-0198 resumption fence, the answer to a gateway's {@link Fence}: the
 * old gateway (or the worker draining it, if it died) has bounced
 * everything it still held for `conn`, and those bounces are ahead of this
 * message (same sender, same partition subject). The registry then hands
 * the session's new connection what it held back while the session moved.
 */
export interface FenceDone {
  t: 'fence-done';
  /** Full JID of the session. */
  jid: string;
  /** The old connection the fence named. */
  conn: string;
  /** The fence's id. */
  id: string;
}

/** One live session as its gateway knows it (see {@link SessionSync}). */
export interface SyncedSession {
  /** Full JID. */
  jid: string;
  conn: string;
  /** Sent available presence (and not unavailable since). */
  available?: boolean;
  /** The priority of that presence (-128..127). */
  priority?: number;
  /** The last broadcast presence as sent (from = full JID, no 'to'). */
  presence?: string;
  /** Asked for the roster (receives roster pushes). */
  interested?: boolean;
  /** XEP-0198 resumption is enabled (as `session-resumable`). */
  resumable?: boolean;
  /** When the connection bound (ms since epoch): of two connections claiming one full JID, the later wins. */
  boundAt?: number;
}

/**
 * Re-registration: a gateway tells a partition's (new) owner which sessions
 * of that partition it holds, after the partition changed owner (its term
 * changed) or Redis lost the session table. Idempotent: a session the owner
 * already has on that connection is refreshed, one it does not have is
 * added without a presence broadcast (contacts saw it already), one whose
 * resource another connection holds now is refused (the gateway is told to
 * close it with `conflict`). Sent on `xmpp.r.<partition>._sync`, at most
 * {@link SESSION_SYNC_BATCH} sessions per message, all of one partition,
 * in the same ordering scope as the gateway's unbinds, so a session that
 * ends after it was listed is removed after it was added, never resurrected.
 */
export interface SessionSync {
  t: 'session-sync';
  gw: string;
  sessions: SyncedSession[];
}

/** Sessions per `session-sync` message. */
export const SESSION_SYNC_BATCH = 100;

/**
 * The session enabled XEP-0198 resumption: if its gateway dies, the session
 * waits for the client to resume elsewhere (the resumption store decides
 * when it is over) instead of being ended by the dead-gateway reaper.
 */
export interface SessionResumable {
  t: 'session-resumable';
  /** Full JID. */
  jid: string;
  conn: string;
}

/**
 * The connection of a resumable session was lost without the stream being
 * closed (XEP-0198): the session waits for its client to resume. Until the
 * client resumes (a takeover bind) the registry treats what it routes to
 * the session as not seen by a client, e.g. for XEP-0357 push notifications.
 */
export interface SessionDetached {
  t: 'session-detached';
  /** Full JID. */
  jid: string;
  conn: string;
}

/** An account was deleted: its sessions end and its data goes, contacts are unsubscribed. */
export interface AccountRemoved {
  t: 'account-removed';
  /** Bare JID. */
  jid: string;
}

/** A gateway stopped heartbeating: end the sessions it held in `partition`. */
export interface GatewayDown {
  t: 'gateway-down';
  gw: string;
  partition: number;
  /** Also end XEP-0198 resumable sessions (their resumption window is long past). */
  resumableToo?: boolean;
}

/** Request/reply: bind a resource for an authenticated connection. */
export interface BindRequest {
  t: 'bind';
  /** Bare JID of the authenticated account. */
  jid: string;
  /** Requested resource (already normalized by the gateway), or undefined for a server-generated one. */
  resource?: string;
  gw: string;
  conn: string;
  /**
   * Stream resumption (XEP-0198): the connection id that held this resource
   * before. The session moves to `gw`/`conn` unchanged (presence, roster
   * interest, directed presence) instead of being replaced. Fails with
   * item-not-found-like `not-allowed` if the resource is no longer held by it.
   */
  takeover?: string;
}

export type BindReply =
  | { ok: true; jid: string /* full JID bound */ }
  | {
      ok: false;
      condition:
        | 'conflict'
        | 'not-allowed'
        | 'resource-constraint'
        | 'internal-server-error'
        /** The registry did not understand the request (bus protocol: see protocol.ts). */
        | 'feature-not-implemented'
        | 'bad-request';
      text?: string;
    };

/** The connection is gone; the registry broadcasts unavailable presence if needed. */
export interface UnbindRequest {
  t: 'unbind';
  /** Full JID that was bound. */
  jid: string;
  gw: string;
  conn: string;
}

/**
 * A gateway could not deliver a stanza (the target connection closed in the
 * meantime); the registry re-routes it as if the full JID had no session.
 */
export interface BounceRequest {
  t: 'bounce';
  /** Full JID the stanza was delivered to. */
  to: string;
  /** The connection that could not take it. */
  conn?: string;
  /**
   * Drained from the subject of a gateway that died: if the session is
   * resumable and not resumed yet, the registry keeps the delivery for it
   * (parked) and hands it to the session's new connection when it resumes.
   */
  drained?: boolean;
  env: Envelope;
}

/** Messages consumed by a gateway on its own subject. */
export type GatewayMessage =
  | {
      t: 'deliver';
      conn: string;
      env: Envelope;
      /** Full JID of the session the stanza is for (to bounce it if the connection is gone). */
      jid?: string;
    }
  | {
      t: 'kick';
      conn: string;
      condition: 'conflict' | 'policy-violation' | 'not-authorized' | 'system-shutdown' | 'reset';
      text?: string;
    }
  | {
      /**
       * XEP-0198: the session held by `conn` was resumed on another stream
       * (possibly on another gateway). The gateway closes that connection (or
       * forgets the detached session) without unbinding, and bounces what it
       * could not deliver, naming `conn`, so it reaches the new stream.
       */
      t: 'sm-takeover';
      conn: string;
      /** The SM-ID of the resumed session. */
      id: string;
    }
  | Fence;

/**
 * XEP-0198 resumption fence. The registry moved the session of `jid` from
 * `conn` (on this gateway) to a new connection and sent this after every
 * delivery it had routed to `conn`. The gateway lets go of `conn` (as on
 * `sm-takeover`), bounces whatever it still holds for it, naming `conn`,
 * then answers {@link FenceDone} on the session's partition subject. Until
 * then (or a timeout) the registry holds back new deliveries for the
 * session, so nothing newer overtakes what the old connection returns.
 */
export interface Fence {
  t: 'fence';
  conn: string;
  /** Full JID of the session. */
  jid: string;
  /** Names this fence; echoed in `fence-done`. */
  id: string;
}
