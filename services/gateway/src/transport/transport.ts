/**
 * The boundary between a client stream and the wire under it.
 *
 * A `Connection` owns everything XMPP: header checks, features, STARTTLS,
 * SASL, binding, stream management, CSI, routing, timeouts. A transport only
 * frames and moves top-level elements:
 *
 * - TCP (RFC 6120 section 4; `tcp`, `tls`): one XML document per stream,
 *   `<stream:stream>` headers and `</stream:stream>`, STARTTLS, whitespace
 *   keepalives (`tcp.ts`);
 * - WebSocket (RFC 7395; `ws`, `wss`): one complete element per message,
 *   `<open/>` and `<close/>`, namespaces declared on every element, ping
 *   frames (`../websocket/transport.ts`);
 * - BOSH (XEP-0124/0206; `bosh`, `boshs`): elements carried in `<body/>`
 *   wrappers of HTTP requests and responses, one session many requests
 *   (`../bosh/session.ts`; it calls the connection's framer handlers itself).
 *
 * Input reaches the connection through `Connection.onData` (a TCP chunk or one
 * WebSocket message, parsed by the framer in the transport's `framing` mode)
 * and the end of the wire through `Connection.onSocketClosed`.
 */
import type { TLSSocket } from 'node:tls';
import type { Connection } from '../connection.js';

/**
 * How a client reached the gateway: the `transport` label of
 * `parley_c2s_connections` (`bosh`/`boshs`: XEP-0206 over http:// / https://).
 */
export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss' | 'bosh' | 'boshs';

/** Our stream header's contents (RFC 6120 4.7). */
export interface HeaderInfo {
  domain: string;
  lang: string;
  /** The client's `from`, echoed as `to`. */
  peer?: string;
}

export interface CloseInfo {
  /** Our header, when none was sent for this stream yet (an error in reply to a bad header). */
  header?: HeaderInfo;
  /** A serialized `<stream:error/>`. */
  error?: string;
  /** RFC 7395 3.6.1: `<close see-other-uri=…/>` (WebSocket only; no header is sent with it). */
  seeOtherUri?: string;
  /** WebSocket close code (RFC 6455 7.4.1); default 1000. */
  wsCode?: number;
}

export interface StreamTransport {
  readonly kind: TransportKind;
  /** Wires the wire's events to `conn` (once, when the connection is created). */
  attach(conn: Connection): void;
  /** The framer mode for its input. */
  readonly framing: 'tcp' | 'websocket';
  /** Encrypted from the start (direct TLS, wss://, or ws:// declared secure). */
  readonly secure: boolean;
  /** STARTTLS exists on this transport (TCP); RFC 7395 3.9 forbids it over WebSocket. */
  readonly canStartTls: boolean;
  /** The TLS socket underneath, for channel binding (RFC 5929, RFC 9266); undefined without TLS. */
  tlsSocket(): TLSSocket | undefined;
  readonly remotePort: number | undefined;
  /** Bytes queued towards the peer (a peer that does not read makes it grow). */
  readonly pendingOutput: number;
  /** Nothing can be written any more. */
  readonly gone: boolean;
  /**
   * A wss:// URL to send a ws:// client to when this stream cannot be
   * secured here (TLS required, no STARTTLS over WebSocket).
   */
  readonly secureAlternative: string | undefined;
  /** Our stream header (TCP) or `<open/>` (WebSocket), then the stream features. */
  openStream(header: HeaderInfo, features: string): void;
  /** One complete top-level element (stanza or nonza), serialized. */
  write(xml: string): void;
  /**
   * Ends our stream (`</stream:stream>`, or `<close/>` and the WebSocket
   * closing handshake) and half-closes the wire; the peer's own close is
   * still read.
   */
  closeStream(info: CloseInfo): void;
  /**
   * WebSocket keepalive, called from the sweep (TCP uses whitespace, written
   * by the connection): pings after `intervalMs` of inbound silence; false
   * when a ping went unanswered for `intervalMs` (the peer is presumed gone).
   */
  keepalive(now: number, lastRead: number, intervalMs: number): boolean;
  /** Stops reading (while an asynchronous step runs; WebSocket may still deliver buffered messages). */
  pause(): void;
  resume(): void;
  destroy(): void;
}
