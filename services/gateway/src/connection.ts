/**
 * One client connection: its socket, XML framer and negotiation state.
 *
 * States (see README.md for the diagram):
 *   negotiating   -> stream open, before authentication (STARTTLS, SASL, XEP-0077)
 *   tls-handshake -> <proceed/> sent, TLS handshake running
 *   authenticated -> SASL succeeded, resource not bound yet
 *   binding       -> bind request in flight on the bus
 *   bound         -> stanzas flow
 *   closing       -> our </stream:stream> is written, waiting for the socket to close
 *   closed
 *
 * Incoming elements are handled strictly in order: while an asynchronous
 * step (SASL, bind, registration) runs, reading is paused and elements
 * already parsed wait in `inbox`.
 */
import type { Socket } from 'node:net';
import { routeSubject } from '@parley/routing';
import type { Envelope, UnbindRequest } from '@parley/routing';
import { streamError } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import { StreamFramer } from '@parley/xml';
import type { Element, XmlError } from '@parley/xml';
import type { GatewayContext } from './context.js';
import type { Transport } from './metrics.js';
import { handleElement } from './dispatch.js';
import { featuresFor } from './negotiation/features.js';
import { checkStreamHeader, streamHeader } from './negotiation/stream-header.js';
import type { StreamOpen } from './negotiation/stream-header.js';
import type { SaslAttempt } from './negotiation/sasl.js';
import { attachSocket } from './socket-events.js';

export type ConnectionState =
  'negotiating' | 'tls-handshake' | 'authenticated' | 'binding' | 'bound' | 'closing' | 'closed';

/** Output buffered for a slow reader beyond which the connection is dropped. */
export const MAX_PENDING_OUTPUT = 4 * 1024 * 1024;
/** How long to wait for the peer to close after our </stream:stream>. */
export const CLOSE_GRACE_MS = 5_000;
/** Deliveries held while the bind reply is on its way. */
const MAX_HELD = 1_000;

export class Connection {
  socket: Socket;
  readonly framer: StreamFramer;
  state: ConnectionState = 'negotiating';
  secure: boolean;
  /** A (new) stream header is expected: at the start and after each stream restart. */
  awaitingHeader = true;
  /** Served domain of this stream, from the client's header. */
  domain = '';
  lang: string | undefined;
  /** Bare JID, once authenticated. */
  user: string | undefined;
  /** Full JID, once bound. */
  jid: string | undefined;
  sasl: SaslAttempt | undefined;
  authFailures = 0;
  /**
   * The client tried a -PLUS mechanism with a channel-binding type this
   * stream cannot provide (e.g. tls-unique on TLS 1.3). It then knows we
   * support binding but not its type, so its 'y' flag on a later non-PLUS
   * attempt is not a downgrade (RFC 5802 section 6) and is accepted.
   */
  cbTypeMismatch = false;
  /** An account was created on this stream (XEP-0077 allows one). */
  registered = false;
  /** Negotiation must be complete (bound) by this time; 0 once it is. */
  deadline: number;
  closeAt = 0;
  lastRead: number;
  lastWrite: number;
  private busy = false;
  /** Elements parsed while busy; null stands for the client's </stream:stream>. */
  private inbox: (Element | null)[] | undefined;
  /** Deliveries that arrived between the bind request and its reply. */
  private held: string[] | undefined;
  private unbindSent = false;
  readonly openedAt: number;

  constructor(
    readonly ctx: GatewayContext,
    readonly id: string,
    socket: Socket,
    readonly ip: string,
    readonly transport: Transport,
  ) {
    this.socket = socket;
    this.secure = transport === 'tls';
    const now = Date.now();
    this.openedAt = now;
    this.lastRead = now;
    this.lastWrite = now;
    this.deadline = now + ctx.config.c2s.connectTimeoutMs;
    this.framer = new StreamFramer(this, {
      limits: { maxStanzaBytes: ctx.config.c2s.maxStanzaBytes },
      mode: 'tcp',
    });
    attachSocket(socket, this);
  }

  get open(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  // --- socket input -------------------------------------------------------

  onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  // --- framer handlers (StreamFramer calls these as methods) ---------------

  streamOpen(open: StreamOpen): void {
    if (!this.open || this.state === 'tls-handshake') return;
    const check = checkStreamHeader(open, this.ctx.domains);
    if (!check.ok) {
      if (check.domain !== undefined) this.domain = check.domain;
      this.closeStream(check.condition, check.text);
      return;
    }
    if (this.user !== undefined && check.domain !== this.domain) {
      this.closeStream('host-unknown', 'the domain changed on stream restart');
      return;
    }
    this.domain = check.domain;
    if (check.lang !== undefined) this.lang = check.lang;
    this.awaitingHeader = false;
    this.send(streamHeader(this.domain, this.lang ?? 'en', check.peer) + featuresFor(this));
  }

  stanza(el: Element): void {
    if (!this.open || this.state === 'tls-handshake' || this.awaitingHeader) return;
    if (this.busy) (this.inbox ??= []).push(el);
    else this.dispatch(el);
  }

  streamClose(): void {
    if (!this.open) return;
    if (this.busy) (this.inbox ??= []).push(null);
    else this.onClientClose();
  }

  error(err: XmlError): void {
    this.closeStream(err.condition ?? 'not-well-formed', err.message);
  }

  // --- ordered processing -------------------------------------------------

  private dispatch(el: Element): void {
    let pending: Promise<void> | void;
    try {
      pending = handleElement(this, el);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (pending === undefined) return;
    this.busy = true;
    this.socket.pause();
    pending
      .then(
        () => this.resume(),
        (err: unknown) => this.fail(err),
      )
      .catch((err: unknown) => this.fail(err));
  }

  private resume(): void {
    this.busy = false;
    while (this.inbox !== undefined && this.inbox.length > 0 && !this.busy) {
      if (!this.open || this.state === 'tls-handshake' || this.awaitingHeader) {
        this.inbox = undefined;
        break;
      }
      const next = this.inbox.shift()!;
      if (next === null) this.onClientClose();
      else this.dispatch(next);
    }
    if (this.busy) return;
    this.inbox = undefined;
    if (this.open && this.state !== 'tls-handshake') this.socket.resume();
  }

  /** Drops elements parsed before a stream restart (they belong to the old stream). */
  restartStream(): void {
    this.inbox = undefined;
    this.awaitingHeader = true;
    this.framer.reset();
  }

  // --- output -------------------------------------------------------------

  send(data: string): void {
    const socket = this.socket;
    if (this.state === 'closed' || socket.destroyed) return;
    socket.write(data);
    this.lastWrite = Date.now();
    if (socket.writableLength > MAX_PENDING_OUTPUT) this.overflow();
  }

  sendElement(el: Element): void {
    this.send(el.toString());
  }

  /** Writes a delivered stanza; false when this connection cannot take it (the caller bounces it). */
  deliver(env: Envelope): boolean {
    if (this.state === 'bound') {
      this.send(env.xml);
      this.ctx.metrics.stanza('out', env.kind);
      return true;
    }
    if (this.state === 'binding') {
      const held = (this.held ??= []);
      if (held.length >= MAX_HELD) return false;
      held.push(env.xml);
      this.ctx.metrics.stanza('out', env.kind);
      return true;
    }
    return false;
  }

  /** The bind reply arrived: the stream is ready for stanzas. */
  bound(jid: string): void {
    this.jid = jid;
    this.state = 'bound';
    this.deadline = 0;
    this.sasl = undefined;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const xml of held) this.send(xml);
  }

  // --- closing ------------------------------------------------------------

  /**
   * Closes the stream: our header if none was sent for this stream, the
   * stream error if any, then </stream:stream>; the socket is ended and
   * destroyed if the peer does not close within CLOSE_GRACE_MS.
   */
  closeStream(condition?: StreamErrorCondition, text?: string): void {
    if (!this.open) return;
    if (this.state === 'tls-handshake') {
      this.destroy();
      return;
    }
    let out = this.awaitingHeader
      ? streamHeader(this.domain || this.ctx.defaultDomain, this.lang ?? 'en')
      : '';
    if (condition !== undefined) {
      out += streamError(condition, text === undefined ? {} : { text }).toString();
    }
    out += '</stream:stream>';
    this.send(out);
    if (condition !== undefined) {
      this.ctx.logger.info('closing client stream with error', {
        conn: this.id,
        ip: this.ip,
        condition,
        ...(text !== undefined && { text }),
        ...(this.jid !== undefined && { jid: this.jid }),
      });
    }
    this.beginClose();
    this.endSocket();
  }

  private onClientClose(): void {
    if (!this.open) return;
    this.send('</stream:stream>');
    this.beginClose();
    this.endSocket();
  }

  /** Half-closes; reading resumes (input is ignored now) so the peer's close is noticed. */
  private endSocket(): void {
    this.socket.end();
    this.socket.resume();
  }

  private beginClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.closeAt = Date.now() + CLOSE_GRACE_MS;
    this.inbox = undefined;
    this.held = undefined;
    this.publishUnbind();
  }

  destroy(): void {
    if (this.state !== 'closed') this.beginClose();
    this.socket.destroy();
  }

  private overflow(): void {
    this.ctx.logger.warn('client is not reading; dropping the connection', {
      conn: this.id,
      ip: this.ip,
      pending: this.socket.writableLength,
      ...(this.jid !== undefined && { jid: this.jid }),
    });
    this.destroy();
  }

  /** An unexpected exception while handling this connection: close it alone. */
  fail(err: unknown): void {
    this.ctx.logger.error('internal error on a client connection', {
      conn: this.id,
      ip: this.ip,
      err,
      ...(this.jid !== undefined && { jid: this.jid }),
    });
    try {
      this.closeStream('internal-server-error');
    } catch {
      this.socket.destroy();
    }
  }

  /** Called once when the socket has closed. */
  onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.beginClose();
    this.state = 'closed';
    this.sasl = undefined;
    this.ctx.connectionClosed(this);
  }

  private publishUnbind(): void {
    if (this.jid === undefined || this.user === undefined || this.unbindSent) return;
    this.unbindSent = true;
    const msg: UnbindRequest = {
      t: 'unbind',
      jid: this.jid,
      gw: this.ctx.gatewayId,
      conn: this.id,
    };
    this.ctx.publish(routeSubject(this.user, this.ctx.config.routing.partitions), msg);
  }

  // --- timers (driven by the gateway's shared sweep) -------------------------

  tick(now: number): void {
    if (this.state === 'closed') return;
    if (this.state === 'closing') {
      if (now >= this.closeAt) this.socket.destroy();
      return;
    }
    const c2s = this.ctx.config.c2s;
    if (this.deadline !== 0 && now >= this.deadline) {
      this.closeStream('connection-timeout', 'stream negotiation did not complete in time');
    } else if (c2s.idleTimeoutMs > 0 && now - this.lastRead >= c2s.idleTimeoutMs) {
      this.closeStream('connection-timeout', 'no data received for too long');
    } else if (
      c2s.whitespaceKeepaliveMs > 0 &&
      !this.awaitingHeader &&
      this.state !== 'tls-handshake' &&
      now - this.lastWrite >= c2s.whitespaceKeepaliveMs
    ) {
      this.send(' ');
    }
  }
}
