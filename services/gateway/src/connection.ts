/**
 * One client connection: its socket, XML framer and negotiation state.
 *
 * States: negotiation/stream-state.ts holds them and the one table of
 * allowed transitions; every step changes the state through `transition`
 * (README.md has the diagram).
 *
 * Incoming elements are handled strictly in order: while an asynchronous
 * step (SASL, bind, registration, stream management) runs, reading is
 * paused and elements already parsed wait in `inbox`.
 *
 * Output: stanzas go through `writeStanza` (XEP-0352 holding, then XEP-0198
 * counting and the resumption store when stream management is enabled);
 * stream-level data goes straight to `send`. Every `send` is one complete
 * top-level element.
 *
 * The wire is a `StreamTransport` (transport/transport.ts): TCP or direct TLS
 * (RFC 6120) or WebSocket (RFC 7395). Everything above framing (header
 * checks, features, SASL, bind, stream management, CSI, routing) is the
 * same code for all of them.
 */
import { routeSubject } from '@parley/routing';
import type { Envelope, UnbindRequest } from '@parley/routing';
import { streamError } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import { StreamFramer } from '@parley/xml';
import type { Element, XmlError } from '@parley/xml';
import type { GatewayContext } from './context.js';
import { CsiQueue } from './csi.js';
import { handleElement } from './client-elements.js';
import { featuresFor } from './negotiation/features.js';
import { IllegalTransitionError, StreamState } from './negotiation/stream-state.js';
import type { ConnectionState, StreamEvent } from './negotiation/stream-state.js';
import { checkFramedOpen, checkStreamHeader } from './negotiation/stream-header.js';
import type { StreamOpen } from './negotiation/stream-header.js';
import type { SaslAttempt } from './negotiation/sasl.js';
import type { AddressSlot } from './limits/address-limits.js';
import { idleCheck } from './limits/idle-probe.js';
import { bounceEnvelope } from './relay/bounce.js';
import { lostGraceMs } from './sm/manager.js';
import type { SmSession } from './sm/session.js';
import { clientStanzaKind } from './stanza-kind.js';
import { InputShaper } from './shaping/input-shaper.js';
import type { StreamTransport } from './transport/transport.js';

export type { ConnectionState, StreamEvent } from './negotiation/stream-state.js';

/** How long to wait for the peer to close after our </stream:stream>. */
export const CLOSE_GRACE_MS = 5_000;
/** Deliveries held while the bind reply is on its way. */
const MAX_HELD = 1_000;

export interface CloseOptions {
  /**
   * The peer is probably gone rather than done (idle timeout, not reading):
   * a resumable session is kept for resumption instead of ended.
   */
  detach?: boolean;
  /** Application-specific condition inside the stream error (RFC 6120 4.9.4). */
  appCondition?: Element;
  /** WebSocket only: `<close see-other-uri/>` sends the client to this endpoint (RFC 7395 3.6.1). */
  seeOtherUri?: string;
  /** WebSocket only: the close code of the closing handshake (default 1000). */
  wsCode?: number;
}

/** The routing state of a bound session, as its client set it (see services/gateway/src/relay/reregister.ts). */
export interface SessionRoute {
  available: boolean;
  priority: number;
  /** The last broadcast presence as published (from = full JID, no 'to'). */
  presence?: string;
  interested: boolean;
}

export class Connection {
  readonly framer: StreamFramer;
  private readonly machine = new StreamState();
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
  /** When the resource was bound (or the session resumed here). */
  boundAt = 0;
  /** What the registry routes by (presence, roster interest): sent again on re-registration. */
  readonly route: SessionRoute = { available: false, priority: 0, interested: false };
  sasl: SaslAttempt | undefined;
  authFailures = 0;
  /** An account was created on this stream (XEP-0077 allows one). */
  registered = false;
  /** Negotiation must be complete (bound) by this time; 0 once it is. */
  deadline: number;
  closeAt = 0;
  lastRead: number;
  lastWrite: number;
  /** The idle probe (limits/idle-probe.ts): when it was sent (0: never), and the id of its ping. */
  probeSentAt = 0;
  probeId: string | undefined;
  /** STARTTLS: the TLS handshake must be done by this time. */
  handshakeDeadline = 0;
  private busy = false;
  /** Traffic shaping of the client's input (shaping/input-shaper.ts); undefined when off. */
  readonly shaper: InputShaper | undefined;
  /** Elements parsed while busy; null stands for the client's </stream:stream>. */
  private inbox: (Element | null)[] | undefined;
  /** Deliveries that arrived between the bind request and its reply. */
  private held: Envelope[] | undefined;
  private unbindSent = false;
  /** XEP-0198 state once the client enabled stream management (or resumed). */
  sm: SmSession | undefined;
  /** XEP-0352 state once the client sent a client state indication. */
  csi: CsiQueue | undefined;
  /** Ids of IQs the gateway sent for the client (Bind2 inline carbons): their answers are not the client's. */
  private internalIqs: Set<string> | undefined;
  /** The session continues on another stream (resumed there): no unbind, no bounce. */
  private superseded = false;
  /** The session's end (unbind, detach or hand-over) has been dealt with. */
  private sessionDone = false;
  readonly openedAt: number;

  constructor(
    readonly ctx: GatewayContext,
    readonly id: string,
    readonly transport: StreamTransport,
    readonly ip: string,
    /** Its place in the per-address limits (limits/address-limits.ts), from accept to close. */
    readonly slot: AddressSlot,
  ) {
    this.secure = transport.secure;
    const now = Date.now();
    this.openedAt = now;
    this.lastRead = now;
    this.lastWrite = now;
    this.shaper = InputShaper.create(this, now);
    // Counted from the TCP accept: TLS handshakes and WebSocket upgrades spend the same time.
    this.deadline = Math.min(slot.acceptedAt, now) + ctx.config.c2s.connectTimeoutMs;
    // Until the client authenticates, only small elements (raised by SASL success).
    const { maxStanzaBytes, maxPreAuthStanzaBytes } = ctx.config.c2s;
    this.framer = new StreamFramer(this, {
      limits: { maxStanzaBytes: Math.min(maxPreAuthStanzaBytes, maxStanzaBytes) },
      mode: transport.framing,
    });
    transport.attach(this);
  }

  get state(): ConnectionState {
    return this.machine.state;
  }

  /**
   * Moves the negotiation state (the only way to change it). An event the
   * table does not allow in the current state is a bug: it is logged and the
   * stream fails with internal-server-error. Returns whether it happened.
   */
  transition(event: StreamEvent): boolean {
    try {
      this.machine.apply(event);
      return true;
    } catch (err) {
      if (!(err instanceof IllegalTransitionError)) throw err;
      this.fail(err);
      return false;
    }
  }

  /** The shaper holds the input back: parsed elements wait, the transport does not read. */
  get throttled(): boolean {
    return this.shaper?.paused === true;
  }

  get open(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  // --- socket input -------------------------------------------------------

  /** A TCP chunk, or one whole WebSocket message. */
  onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.shaper !== undefined && this.open) this.shaper.bytes(chunk.length, this.lastRead);
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  // --- framer handlers (StreamFramer calls these as methods) ---------------

  streamOpen(open: StreamOpen): void {
    if (!this.open || this.state === 'tls-handshake') return;
    const websocket = this.transport.framing === 'websocket';
    if (!this.awaitingHeader) {
      // Only over WebSocket, where <open/> is a message like any other.
      this.closeStream('bad-format', 'a stream restarts with <open/> only after SASL success');
      return;
    }
    const check = websocket
      ? checkFramedOpen(open, this.ctx.domains)
      : checkStreamHeader(open, this.ctx.domains);
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
    if (!this.secure && !this.transport.canStartTls && this.ctx.config.c2s.requireTls) {
      // No STARTTLS over WebSocket (RFC 7395 3.9): this stream could never authenticate.
      const alternative = this.transport.secureAlternative;
      if (alternative !== undefined) {
        this.closeStream(undefined, undefined, { seeOtherUri: alternative });
      } else {
        this.closeStream('policy-violation', 'this server requires TLS: connect with wss://');
      }
      return;
    }
    this.awaitingHeader = false;
    this.transport.openStream(
      {
        domain: this.domain,
        lang: this.lang ?? 'en',
        ...(check.peer !== undefined && { peer: check.peer }),
      },
      featuresFor(this),
    );
    this.lastWrite = Date.now();
  }

  stanza(el: Element): void {
    if (!this.open || this.state === 'tls-handshake') return;
    if (this.awaitingHeader) {
      // TCP: an element of the stream before a restart, dropped. WebSocket: a message before <open/>.
      if (this.transport.framing === 'websocket') {
        this.closeStream('not-authorized', 'open the stream with <open/> first');
      }
      return;
    }
    if (this.busy || this.throttled) (this.inbox ??= []).push(el);
    else this.dispatch(el);
  }

  streamClose(): void {
    if (!this.open) return;
    if (this.busy || this.throttled) (this.inbox ??= []).push(null);
    else this.onClientClose();
  }

  error(err: XmlError): void {
    this.closeStream(err.condition ?? 'not-well-formed', err.message);
  }

  // --- ordered processing -------------------------------------------------

  private dispatch(el: Element): void {
    if (this.shaper !== undefined && clientStanzaKind(el) !== undefined) {
      this.shaper.stanza(Date.now());
    }
    let pending: Promise<void> | void;
    try {
      pending = handleElement(this, el);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (pending === undefined) return;
    this.busy = true;
    this.transport.pause();
    pending
      .then(
        () => this.resume(),
        (err: unknown) => this.fail(err),
      )
      .catch((err: unknown) => this.fail(err));
  }

  private resume(): void {
    this.busy = false;
    while (this.inbox !== undefined && this.inbox.length > 0 && !this.busy && !this.throttled) {
      if (!this.open || this.state === 'tls-handshake' || this.awaitingHeader) {
        this.inbox = undefined;
        break;
      }
      const next = this.inbox.shift()!;
      if (next === null) this.onClientClose();
      else this.dispatch(next);
    }
    if (this.busy || this.throttled) return;
    this.inbox = undefined;
    if (this.open && this.state !== 'tls-handshake') this.transport.resume();
  }

  /** The shaper let go (shaping/input-shaper.ts): what waited is handled, then reading goes on. */
  unthrottled(): void {
    if (!this.busy) this.resume();
  }

  /** Drops elements parsed before a stream restart (they belong to the old stream). */
  restartStream(): void {
    this.inbox = undefined;
    this.awaitingHeader = true;
    this.framer.reset();
  }

  // --- output -------------------------------------------------------------

  /** Writes one complete top-level element (or a TCP whitespace keepalive). */
  send(data: string): void {
    const transport = this.transport;
    if (this.state === 'closed' || transport.gone) return;
    transport.write(data);
    this.lastWrite = Date.now();
    if (transport.pendingOutput > this.ctx.config.c2s.maxPendingOutputBytes) this.overflow();
  }

  /** Writes an element; stanzas take the stanza path (CSI, stream management). */
  sendElement(el: Element): void {
    const kind = clientStanzaKind(el);
    if (kind === undefined) this.send(el.toString());
    else this.writeStanza(el.toString());
  }

  /**
   * Writes a stanza to the client: held stanzas (CSI) go first; with stream
   * management it is counted and queued until acknowledged.
   */
  writeStanza(xml: string, did?: string): void {
    if (this.csi !== undefined && this.csi.size > 0) this.flushHeld();
    if (this.sm !== undefined) this.sm.stanza(xml, did);
    else this.send(xml);
  }

  /** A stream-level element (SM, CSI answers): kept in order behind stanzas waiting for the store. */
  sendNonza(data: string): void {
    if (this.sm !== undefined) this.sm.nonza(data);
    else this.send(data);
  }

  /** The answer to IQ `id`, sent by the gateway on the client's behalf, is not written to the client. */
  expectInternalReply(id: string): void {
    (this.internalIqs ??= new Set()).add(id);
  }

  /** Writes a delivered stanza; false when this connection cannot take it (the caller bounces it). */
  deliver(env: Envelope): boolean {
    if (
      this.internalIqs !== undefined &&
      env.kind === 'iq' &&
      env.id !== undefined &&
      (env.type === 'result' || env.type === 'error') &&
      this.internalIqs.delete(env.id)
    ) {
      if (env.type === 'error') {
        this.ctx.logger.warn('an IQ sent for the client failed', { conn: this.id, id: env.id });
      }
      return true;
    }
    if (this.state === 'bound') {
      this.outbound(env);
      return true;
    }
    if (this.state === 'binding') {
      const held = (this.held ??= []);
      if (held.length >= MAX_HELD) return false;
      held.push(env);
      return true;
    }
    const sm = this.sm;
    if (sm !== undefined && !sm.finished) {
      // The session is detaching, ending or handed over: it collects what still
      // arrives, to queue or bounce it after what came before.
      sm.stanza(env.xml, env.did);
      return true;
    }
    return false;
  }

  private outbound(env: Envelope): void {
    this.ctx.metrics.stanza('out', env.kind);
    const csi = this.csi;
    if (csi !== undefined && csi.inactive && csi.hold(env)) {
      if (csi.full) this.flushHeld();
      return;
    }
    this.writeStanza(env.xml, env.did);
  }

  /** Writes the stanzas held for an inactive client, oldest first. */
  flushHeld(): void {
    const held = this.csi?.drain();
    if (held === undefined) return;
    for (const env of held) {
      if (this.sm !== undefined) this.sm.stanza(env.xml, env.did);
      else this.send(env.xml);
    }
  }

  /** XEP-0352 <active/> / <inactive/>. */
  setClientState(active: boolean): void {
    if (active) {
      if (this.csi === undefined) return;
      this.csi.inactive = false;
      this.flushHeld();
      return;
    }
    const { maxQueued, maxQueuedBytes } = this.ctx.config.csi;
    this.csi ??= new CsiQueue(maxQueued, this.ctx.metrics.csiHeld, maxQueuedBytes);
    this.csi.inactive = true;
  }

  /** The bind reply arrived (or a session was resumed): the stream is ready for stanzas. */
  bound(jid: string): void {
    if (!this.transition('bound')) return;
    this.jid = jid;
    this.boundAt = Date.now();
    this.deadline = 0;
    this.sasl = undefined;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const env of held) this.outbound(env);
  }

  // --- closing ------------------------------------------------------------

  /**
   * Closes the stream: our header if none was sent for this stream, the
   * stream error if any, then </stream:stream> (or <close/>); the socket is
   * ended and destroyed if the peer does not close within CLOSE_GRACE_MS.
   */
  closeStream(condition?: StreamErrorCondition, text?: string, opts: CloseOptions = {}): void {
    if (!this.open) return;
    if (this.state === 'tls-handshake') {
      this.destroy();
      return;
    }
    if (this.state !== 'closed' && !this.transport.gone) {
      this.transport.closeStream({
        ...(this.awaitingHeader && {
          header: { domain: this.domain || this.ctx.defaultDomain, lang: this.lang ?? 'en' },
        }),
        ...(condition !== undefined && {
          error: streamError(condition, {
            ...(text !== undefined && { text }),
            ...(opts.appCondition !== undefined && { appCondition: opts.appCondition }),
          }).toString(),
        }),
        ...(opts.seeOtherUri !== undefined && { seeOtherUri: opts.seeOtherUri }),
        ...(opts.wsCode !== undefined && { wsCode: opts.wsCode }),
      });
      this.lastWrite = Date.now();
    }
    if (opts.seeOtherUri !== undefined) {
      this.ctx.logger.info('redirecting client stream', {
        conn: this.id,
        ip: this.ip,
        to: opts.seeOtherUri,
      });
    }
    if (condition !== undefined) {
      this.ctx.logger.info('closing client stream with error', {
        conn: this.id,
        ip: this.ip,
        condition,
        ...(text !== undefined && { text }),
        ...(this.jid !== undefined && { jid: this.jid }),
      });
    }
    this.beginClose(opts.detach === true);
  }

  private onClientClose(): void {
    if (!this.open) return;
    if (!this.transport.gone) this.transport.closeStream({});
    this.beginClose();
  }

  /** `detach`: the stream ended without the client closing it (a resumable session waits for resumption). */
  private beginClose(detach = false): void {
    // Closing again (the socket closed while closing) changes nothing.
    if (this.state === 'closed' || this.state === 'closing') return;
    this.transition('close');
    this.closeAt = Date.now() + CLOSE_GRACE_MS;
    this.inbox = undefined;
    this.shaper?.stop();
    this.endSession(detach);
    const held = this.held;
    this.held = undefined;
    // Deliveries that waited for a bind that will not complete go back to the registry.
    if (held !== undefined)
      for (const env of held) bounceEnvelope(this.ctx, env, this.jid, this.id);
  }

  /** Once per connection: unbind, or detach / end the stream management session. */
  private endSession(detach: boolean): void {
    if (this.sessionDone) return;
    this.sessionDone = true;
    const sm = this.sm;
    if (sm === undefined) {
      this.dropHeld();
      this.publishUnbind();
      return;
    }
    if (this.superseded) return;
    if (sm.lost || (detach && sm.resumable && !sm.ended)) {
      // Kept for resumption (or, when lost, until the new owner's takeover arrives).
      this.ctx.sm.detach(sm);
      // Whatever CSI held is sent on resumption.
      const held = this.csi?.drain() ?? [];
      for (const env of held) sm.stanza(env.xml, env.did);
      return;
    }
    this.dropHeld();
    void this.ctx.sm.end(sm);
  }

  /** Held presence and chat states of a session that is over are not worth keeping. */
  private dropHeld(): void {
    this.csi?.drain();
  }

  /**
   * The session was resumed on another stream: close this one with
   * <conflict/> (XEP-0198 section 5) without unbinding or bouncing.
   */
  supersede(): void {
    if (this.superseded) return;
    this.superseded = true;
    const sm = this.sm;
    if (sm !== undefined) {
      sm.ended = true;
      // Held CSI stanzas never reached this client: they go to the new stream.
      for (const env of this.csi?.drain() ?? []) sm.orphans.push(env.xml);
    }
    this.closeStream('conflict', 'the session was resumed on another stream');
  }

  destroy(): void {
    if (this.state !== 'closed') this.beginClose(true);
    this.transport.destroy();
  }

  /**
   * More than c2s.maxPendingOutputBytes wait for the client: it does not read.
   * The stream is closed with an error rather than buffered without bound; a
   * resumable session waits for the client, as after a lost connection.
   */
  private overflow(): void {
    const limit = this.ctx.config.c2s.maxPendingOutputBytes;
    this.ctx.logger.warn('client is not reading; closing the stream', {
      conn: this.id,
      ip: this.ip,
      pending: this.transport.pendingOutput,
      limit,
      ...(this.jid !== undefined && { jid: this.jid }),
    });
    this.ctx.metrics.shaping.overflow('output');
    this.closeStream(
      'resource-constraint',
      `the client is not reading: more than ${limit} bytes wait to be sent to it`,
      { detach: true },
    );
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
      this.transport.destroy();
    }
  }

  /** Called once when the socket has closed. */
  onSocketClosed(): void {
    if (this.state === 'closed') return;
    // Closed without </stream:stream> from either side: the network, not the client, ended it.
    this.beginClose(true);
    this.transition('closed');
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
      if (now >= this.closeAt) this.transport.destroy();
      return;
    }
    const c2s = this.ctx.config.c2s;
    const sm = this.sm;
    if (this.deadline !== 0 && now >= this.deadline) {
      this.closeStream('connection-timeout', 'stream negotiation did not complete in time');
    } else if (this.state === 'tls-handshake' && now >= this.handshakeDeadline) {
      this.destroy();
    } else if (c2s.idleTimeoutMs > 0 && now - this.lastRead >= c2s.idleTimeoutMs) {
      idleCheck(this, now);
    } else if (sm !== undefined && sm.lost && now - sm.lostAt >= lostGraceMs(this.ctx.config)) {
      this.closeStream('conflict', 'the session was resumed elsewhere or expired');
    } else if (this.transport.framing === 'tcp') {
      if (
        c2s.whitespaceKeepaliveMs > 0 &&
        !this.awaitingHeader &&
        this.state !== 'tls-handshake' &&
        now - this.lastWrite >= c2s.whitespaceKeepaliveMs
      ) {
        this.send(' ');
      }
    } else if (
      !this.transport.keepalive(now, this.lastRead, this.ctx.config.websocket.pingIntervalMs)
    ) {
      this.ctx.logger.info('client did not answer a WebSocket ping; dropping the connection', {
        conn: this.id,
        ip: this.ip,
        ...(this.jid !== undefined && { jid: this.jid }),
      });
      // Like any lost connection: a resumable session waits for its client.
      this.destroy();
      return;
    }
    sm?.tick(now);
  }
}
