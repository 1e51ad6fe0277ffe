/**
 * A lightweight XMPP client for load generation: one TCP socket, one
 * StreamFramer, a small negotiation state machine (STARTTLS, SASL PLAIN or
 * SCRAM, stream restart, resource binding, initial presence) and callbacks.
 * No promise chains or timers per stanza, no retained history: thousands of
 * these fit in one process.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { ScramClient } from '@parley/sasl';
import type { SaltedPasswordCache, ScramHash } from '@parley/sasl';
import { StreamFramer, escapeAttr } from '@parley/xml';
import type { Element, StreamHeader, XmlError } from '@parley/xml';

export const NS_CLIENT = 'jabber:client';
export const NS_STREAM = 'http://etherx.jabber.org/streams';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
export const NS_STREAMS_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_SM = 'urn:xmpp:sm:3';
const NS_PING = 'urn:xmpp:ping';

/**
 * XEP-0198 state a client carries from a lost stream to the one that resumes
 * it: the SM-ID, the count of stanzas received, and the stanzas sent and not
 * yet acknowledged by the server.
 */
export interface SmResumeState {
  id: string;
  /** Stanzas received and handled since `<enabled/>`. */
  inboundH: number;
  /** Stanzas sent since `<enabled/>`. */
  outboundCount: number;
  /** Serialized stanzas sent and not acknowledged, oldest first (the last ones sent). */
  unacked: string[];
  /** Full JID of the session. */
  jid: string;
}

export type LoadMechanism = 'PLAIN' | 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

/**
 * TLS sessions a client kept from its last handshake with a server (TLS 1.3
 * session tickets), by bare JID: a returning client offers its ticket and
 * the server resumes instead of making a full handshake, as real clients do
 * (Conversations, Gajim and Smack keep their sessions).
 */
export type TlsSessionCache = Map<string, Buffer>;

let clientContext: SecureContext | undefined;
/**
 * One client SecureContext for every connection of the process: building one
 * per connection (what tls.connect does without it) parses the CA store each
 * time, about 0.1 ms of the generator's CPU per login.
 */
function sharedClientContext(): SecureContext {
  clientContext ??= createSecureContext({});
  return clientContext;
}

export interface LoadClientOptions {
  host?: string;
  port: number;
  /** Local address to connect from (e.g. another 127.x.y.z to spread load over source IPs). */
  localAddress?: string;
  /** Bare JID, e.g. `load1@localhost`. */
  jid: string;
  password: string;
  resource?: string;
  /** Default PLAIN (needs c2s.allowPlainWithoutTls on a plain stream). */
  mechanism?: LoadMechanism;
  /**
   * `auto` (default): STARTTLS when the server requires it or offers no
   * usable mechanism without it; `always`; `never`.
   */
  starttls?: 'auto' | 'always' | 'never';
  /** Shares PBKDF2 results between SCRAM clients with the same password and salt. */
  scramCache?: SaltedPasswordCache;
  /**
   * Keep the TLS session (ticket) the server issues and offer it on this
   * user's next STARTTLS (TLS session resumption). Without it every
   * handshake is a full one.
   */
  tlsSessions?: TlsSessionCache;
  /** Send `<presence/>` after binding (default true). */
  presence?: boolean;
  /** Whole negotiation must finish within this many ms (default 30000). */
  timeoutMs?: number;
  /** Called for every `<message/>` received after binding. */
  onMessage?: (el: Element, client: LoadClient) => void;
  /** Called for every other stanza received after binding. */
  onStanza?: (el: Element, client: LoadClient) => void;
  /** Called once when the connection is gone (after `connect()` resolved). */
  onClose?: (client: LoadClient, reason: string | undefined) => void;
  /**
   * XEP-0198: after binding, send `<enable resume='true'/>` and resolve once
   * `<enabled/>` arrived (initial presence goes after it, so it is counted).
   * The client then answers `<r/>`, counts what it receives and keeps what
   * it sent until acknowledged (it asks with `<r/>` every `smAckEvery`).
   */
  sm?: boolean;
  /** With `sm`: request an ack after this many unacknowledged stanzas (default 5). */
  smAckEvery?: number;
  /** Resume this stream (`<resume/>` instead of binding); see `LoadClient.resume`. */
  resume?: SmResumeState;
}

type State =
  | 'connecting'
  | 'features'
  | 'starttls'
  | 'auth'
  | 'auth-features'
  | 'bind'
  | 'enable'
  | 'resume'
  | 'ready'
  | 'closing'
  | 'closed';

export class LoadClientError extends Error {
  override readonly name = 'LoadClientError';
}

/** Escapes text for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

const NEEDS_ESCAPE = /[&<>"']/;
function esc(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeXml(s) : s;
}

export class LoadClient {
  /** Full JID once bound. */
  jid = '';
  readonly bare: string;
  /** Messages and other stanzas received since binding. */
  received = 0;
  /** Called for every `<message/>` received after binding (may be replaced at any time). */
  onMessage: ((el: Element, client: LoadClient) => void) | undefined;
  socket: Socket;
  private state: State = 'connecting';
  private readonly framer: StreamFramer;
  private readonly opts: LoadClientOptions;
  private readonly domain: string;
  private readonly local: string;
  private secure = false;
  /** True when this connection's TLS handshake resumed an earlier session. */
  tlsResumed = false;
  private scram: ScramClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: { resolve: (c: LoadClient) => void; reject: (e: Error) => void } | undefined;
  private closeReason: string | undefined;
  private closeWaiters: (() => void)[] | undefined;
  /** XEP-0198 SM-ID once enabled with resumption (or resumed). */
  smId: string | undefined;
  /** Stanzas received since `<enabled/>` (XEP-0198 inbound h). */
  smInboundH = 0;
  /** Stanzas sent since `<enabled/>`. */
  smOutboundCount = 0;
  /** Stanzas sent and not acknowledged by the server yet. */
  smUnacked: string[] = [];
  /** Stanzas the server retransmitted after `<resumed/>` that we had not counted (set by resume). */
  smResentByClient = 0;
  private smActive = false;

  private constructor(opts: LoadClientOptions) {
    this.opts = opts;
    this.onMessage = opts.onMessage;
    const at = opts.jid.indexOf('@');
    if (at <= 0 || opts.jid.includes('/')) throw new LoadClientError(`not a bare JID: ${opts.jid}`);
    this.local = opts.jid.slice(0, at);
    this.domain = opts.jid.slice(at + 1);
    this.bare = opts.jid;
    if (opts.resume) {
      this.smId = opts.resume.id;
      this.smInboundH = opts.resume.inboundH;
      this.smOutboundCount = opts.resume.outboundCount;
      this.smUnacked = [...opts.resume.unacked];
      this.jid = opts.resume.jid;
    }
    this.framer = new StreamFramer(this, { mode: 'tcp' });
    const socket = netConnect({
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}),
      noDelay: true,
    });
    this.socket = socket;
    this.wire(socket);
    socket.once('connect', () => {
      this.state = 'features';
      this.openStream();
    });
  }

  /** Connects, authenticates, binds and (by default) sends initial presence. */
  static connect(opts: LoadClientOptions): Promise<LoadClient> {
    return new Promise((resolve, reject) => {
      let client: LoadClient;
      try {
        client = new LoadClient(opts);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      client.settle = { resolve, reject };
      const ms = opts.timeoutMs ?? 30_000;
      client.timer = setTimeout(() => client.fail(`negotiation timed out after ${ms} ms`), ms);
    });
  }

  /**
   * Resumes the stream of `old` (lost, with XEP-0198 resumption enabled) on
   * a new connection: authenticates, sends `<resume/>`, resends what the
   * server had not handled, and resolves when `<resumed/>` arrived.
   */
  static resume(old: LoadClient, opts: LoadClientOptions): Promise<LoadClient> {
    const state = old.smState();
    if (!state) return Promise.reject(new LoadClientError(`${old.bare}: resumption not enabled`));
    return LoadClient.connect({ ...opts, sm: true, resume: state });
  }

  /** The state needed to resume this stream, or undefined without resumption. */
  smState(): SmResumeState | undefined {
    if (this.smId === undefined) return undefined;
    return {
      id: this.smId,
      inboundH: this.smInboundH,
      outboundCount: this.smOutboundCount,
      unacked: [...this.smUnacked],
      jid: this.jid,
    };
  }

  /**
   * Sends a stanza (counted and kept until acknowledged when stream management
   * is on). Returns false when the socket buffer is full (it is still queued).
   */
  sendStanza(xml: string): boolean {
    if (this.smActive) {
      this.smOutboundCount++;
      this.smUnacked.push(xml);
      const ok = this.send(xml);
      if (this.smUnacked.length % (this.opts.smAckEvery ?? 5) === 0)
        this.send(`<r xmlns="${NS_SM}"/>`);
      return ok;
    }
    return this.send(xml);
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Writes raw XML. Returns false when the socket buffer is full (it is still queued). */
  send(xml: string): boolean {
    if (this.state === 'closed' || this.socket.destroyed) return false;
    return this.socket.write(xml);
  }

  /** Sends `<message type=... to=...><body>...</body></message>`. */
  sendMessage(to: string, body: string, type = 'chat'): boolean {
    return this.sendStanza(
      `<message to="${esc(to)}" type="${type}"><body>${esc(body)}</body></message>`,
    );
  }

  /** Closes the stream politely and waits for the socket to close (at most `graceMs`). */
  close(graceMs = 2000): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => (this.closeWaiters ??= []).push(resolve));
    if (this.state !== 'closing') {
      this.state = 'closing';
      if (!this.socket.destroyed && this.socket.writable) this.socket.end('</stream:stream>');
      const t = setTimeout(() => this.socket.destroy(), graceMs);
      t.unref();
    }
    return done;
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- socket --------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.fail(`handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  private readonly onSocketClose = (): void => {
    // onClose reports connections lost while in use, not the ones we closed.
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.settle) {
      this.settle.reject(
        new LoadClientError(
          `${this.bare}: ${this.closeReason ?? 'connection closed during negotiation'}`,
        ),
      );
      this.settle = undefined;
    } else if (wasReady) {
      this.opts.onClose?.(this, this.closeReason);
    }
    const waiters = this.closeWaiters;
    this.closeWaiters = undefined;
    if (waiters) for (const w of waiters) w();
  };

  private readonly onSocketError = (err: Error): void => {
    this.closeReason ??= `socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
  };

  private wire(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketError);
  }

  private openStream(): void {
    this.send(
      `<?xml version='1.0'?><stream:stream xmlns="${NS_CLIENT}" xmlns:stream="${NS_STREAM}"` +
        ` to="${esc(this.domain)}" from="${esc(this.bare)}" version="1.0" xml:lang="en">`,
    );
  }

  private fail(reason: string): void {
    this.closeReason ??= reason;
    if (this.settle) {
      this.settle.reject(new LoadClientError(`${this.bare}: ${reason}`));
      this.settle = undefined;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket.destroy();
  }

  // ---- framer handlers (called as methods by StreamFramer) ----------------

  streamOpen(_header: StreamHeader): void {}

  streamClose(): void {
    this.closeReason ??= 'server closed the stream';
    if (this.state !== 'closing') this.send('</stream:stream>');
    this.socket.end();
  }

  error(err: XmlError): void {
    this.fail(`bad XML from server: ${err.message}`);
  }

  stanza(el: Element): void {
    if (this.state === 'ready') {
      if (this.smActive) {
        if (el.getNS() === NS_SM) return this.onSmNonza(el);
        if (el.name === 'message' || el.name === 'presence' || el.name === 'iq') this.smInboundH++;
      }
      this.received++;
      if (el.name === 'message') {
        this.onMessage?.(el, this);
        return;
      }
      if (el.name === 'stream:error') {
        this.streamErrorReceived(el);
        return;
      }
      if (el.name === 'iq' && el.attr('type') === 'get' && el.getChild('ping', NS_PING)) {
        // XEP-0199, as real clients answer: the server probes streams idle for c2s.idleTimeoutMs.
        const id = el.attr('id') ?? '';
        const from = el.attr('from');
        this.send(
          `<iq type="result" id="${escapeAttr(id)}"${from === undefined ? '' : ` to="${escapeAttr(from)}"`}/>`,
        );
        return;
      }
      this.opts.onStanza?.(el, this);
      return;
    }
    if (el.name === 'stream:error') {
      this.streamErrorReceived(el);
      return;
    }
    switch (this.state) {
      case 'features':
        this.onFeatures(el);
        return;
      case 'starttls':
        this.onStarttlsReply(el);
        return;
      case 'auth':
        this.onSaslReply(el);
        return;
      case 'auth-features':
        this.onAuthFeatures(el);
        return;
      case 'bind':
        this.onBindReply(el);
        return;
      case 'enable':
        this.onEnableReply(el);
        return;
      case 'resume':
        this.onResumeReply(el);
        return;
      default:
        return;
    }
  }

  private streamErrorReceived(el: Element): void {
    const condition = el
      .getChildElements()
      .find((c) => c.getNS() === NS_STREAMS_ERRORS && c.localName !== 'text');
    const text = el.getChildText('text', NS_STREAMS_ERRORS);
    this.closeReason ??= `stream error: ${condition?.localName ?? 'unknown'}${text ? ` (${text})` : ''}`;
    if (this.settle) this.fail(this.closeReason);
  }

  // ---- negotiation ----------------------------------------------------------

  private onFeatures(el: Element): void {
    if (!el.is('features', NS_STREAM))
      return this.fail(`expected stream features, got <${el.name}>`);
    const starttls = el.getChild('starttls', NS_TLS);
    const mode = this.opts.starttls ?? 'auto';
    const mechanisms = (el.getChild('mechanisms', NS_SASL)?.getChildren('mechanism') ?? []).map(
      (m) => m.text().trim(),
    );
    const wanted = this.opts.mechanism ?? 'PLAIN';
    if (
      !this.secure &&
      starttls &&
      (mode === 'always' ||
        (mode === 'auto' &&
          (starttls.getChild('required') !== undefined || !mechanisms.includes(wanted))))
    ) {
      this.state = 'starttls';
      this.send(`<starttls xmlns="${NS_TLS}"/>`);
      return;
    }
    if (!this.secure && mode === 'always') return this.fail('server offers no STARTTLS');
    if (!mechanisms.includes(wanted)) {
      return this.fail(
        `server does not offer ${wanted} (offers: ${mechanisms.join(', ') || 'none'})`,
      );
    }
    this.state = 'auth';
    if (wanted === 'PLAIN') {
      const payload = Buffer.from(`\0${this.local}\0${this.opts.password}`, 'utf8').toString(
        'base64',
      );
      this.send(`<auth xmlns="${NS_SASL}" mechanism="PLAIN">${payload}</auth>`);
      return;
    }
    const hash: ScramHash = wanted === 'SCRAM-SHA-1' ? 'SHA-1' : 'SHA-256';
    try {
      this.scram = new ScramClient(hash, this.local, this.opts.password, undefined, {
        ...(this.opts.scramCache ? { cache: this.opts.scramCache } : {}),
      });
    } catch (err) {
      return this.fail(`SCRAM: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.send(
      `<auth xmlns="${NS_SASL}" mechanism="${wanted}">${this.scram.first().toString('base64')}</auth>`,
    );
  }

  private onStarttlsReply(el: Element): void {
    if (!el.is('proceed', NS_TLS)) return this.fail(`STARTTLS refused: <${el.name}>`);
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.off('close', this.onSocketClose);
    raw.off('error', this.onSocketError);
    const sessions = this.opts.tlsSessions;
    const session = sessions?.get(this.bare);
    const secure = tlsConnect({
      socket: raw,
      servername: this.domain,
      rejectUnauthorized: false,
      secureContext: sharedClientContext(),
      ...(session !== undefined ? { session } : {}),
    });
    this.socket = secure;
    this.wire(secure);
    // TLS 1.3 tickets arrive after the handshake; the last one is kept.
    if (sessions) secure.on('session', (ticket: Buffer) => sessions.set(this.bare, ticket));
    secure.once('secureConnect', () => {
      this.secure = true;
      this.tlsResumed = secure.isSessionReused();
      this.state = 'features';
      this.framer.reset();
      this.openStream();
    });
  }

  private onSaslReply(el: Element): void {
    if (el.getNS() !== NS_SASL) return this.fail(`unexpected <${el.name}> during SASL`);
    switch (el.localName) {
      case 'challenge': {
        const scram = this.scram;
        if (!scram) return this.fail('unexpected SASL challenge');
        scram.finalAsync(decodePayload(el.text())).then(
          (final) => {
            if (this.state === 'auth')
              this.send(`<response xmlns="${NS_SASL}">${final.toString('base64')}</response>`);
          },
          (err: unknown) => this.fail(`SCRAM: ${err instanceof Error ? err.message : String(err)}`),
        );
        return;
      }
      case 'success': {
        if (this.scram && !this.scram.verify(decodePayload(el.text()))) {
          return this.fail('server signature did not verify');
        }
        this.scram = undefined;
        this.state = 'auth-features';
        this.framer.reset();
        this.openStream();
        return;
      }
      case 'failure': {
        const condition =
          el.getChildElements().find((c) => c.localName !== 'text')?.localName ?? 'unknown';
        return this.fail(`SASL failure: ${condition}`);
      }
      default:
        return this.fail(`unexpected <${el.name}> during SASL`);
    }
  }

  private onAuthFeatures(el: Element): void {
    if (!el.is('features', NS_STREAM))
      return this.fail(`expected stream features, got <${el.name}>`);
    if (this.opts.resume) {
      if (!el.getChild('sm', NS_SM)) return this.fail('server offers no stream management');
      this.state = 'resume';
      this.send(
        `<resume xmlns="${NS_SM}" h="${this.smInboundH % 2 ** 32}" previd="${esc(this.opts.resume.id)}"/>`,
      );
      return;
    }
    if (!el.getChild('bind', NS_BIND)) return this.fail('server offers no resource binding');
    this.state = 'bind';
    const resource = this.opts.resource;
    this.send(
      `<iq type="set" id="bind1"><bind xmlns="${NS_BIND}">` +
        (resource !== undefined ? `<resource>${esc(resource)}</resource>` : '') +
        `</bind></iq>`,
    );
  }

  private onBindReply(el: Element): void {
    if (el.name !== 'iq' || el.attr('id') !== 'bind1') return;
    if (el.attr('type') !== 'result') {
      const cond = el.getChild('error')?.getChildElements()[0]?.localName ?? 'unknown';
      return this.fail(`bind failed: ${cond}`);
    }
    const jid = el.getChild('bind', NS_BIND)?.getChildText('jid');
    if (!jid) return this.fail('bind result without a JID');
    this.jid = jid;
    if (this.opts.sm) {
      this.state = 'enable';
      this.send(`<enable xmlns="${NS_SM}" resume="true"/>`);
      return;
    }
    this.becomeReady();
  }

  private becomeReady(): void {
    this.state = 'ready';
    if (this.opts.presence !== false) this.sendStanza('<presence/>');
    this.settled();
  }

  private settled(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const settle = this.settle;
    this.settle = undefined;
    settle?.resolve(this);
  }

  // ---- XEP-0198 ---------------------------------------------------------------

  private onEnableReply(el: Element): void {
    if (el.getNS() !== NS_SM) {
      // A stanza before <enabled/> (not counted by the server either).
      if (el.name === 'message') this.onMessage?.(el, this);
      return;
    }
    if (el.localName === 'failed') return this.fail('stream management refused <enable/>');
    if (el.localName !== 'enabled') return;
    const id = el.attr('id');
    if (id === undefined || (el.attr('resume') !== 'true' && el.attr('resume') !== '1'))
      return this.fail('server enabled stream management without resumption');
    this.smId = id;
    this.smActive = true;
    this.becomeReady();
  }

  private onResumeReply(el: Element): void {
    if (el.getNS() !== NS_SM) return;
    if (el.localName === 'failed') {
      const cond = el.getChildElements()[0]?.localName ?? 'unknown';
      return this.fail(`resumption failed: ${cond}`);
    }
    if (el.localName !== 'resumed') return;
    this.smActive = true;
    this.state = 'ready';
    const h = Number(el.attr('h') ?? '0');
    this.trimAcked(h);
    // What the server never handled goes again, in order.
    this.smResentByClient = this.smUnacked.length;
    for (const xml of this.smUnacked) this.send(xml);
    if (this.smUnacked.length > 0) this.send(`<r xmlns="${NS_SM}"/>`);
    this.settled();
  }

  private onSmNonza(el: Element): void {
    if (el.localName === 'r') {
      this.send(`<a xmlns="${NS_SM}" h="${this.smInboundH % 2 ** 32}"/>`);
    } else if (el.localName === 'a') {
      this.trimAcked(Number(el.attr('h') ?? '0'));
    }
  }

  /** Drops the unacknowledged stanzas the server says it handled (h, mod 2^32). */
  private trimAcked(h: number): void {
    const firstUnacked = this.smOutboundCount - this.smUnacked.length;
    // Absolute h from the 32-bit one, near what we sent.
    let abs = h + Math.floor(firstUnacked / 2 ** 32) * 2 ** 32;
    if (abs < firstUnacked - 2 ** 31) abs += 2 ** 32;
    const drop = Math.min(this.smUnacked.length, Math.max(0, abs - firstUnacked));
    if (drop > 0) this.smUnacked.splice(0, drop);
  }
}

function decodePayload(text: string): Buffer {
  const t = text.trim();
  return t === '' || t === '=' ? Buffer.alloc(0) : Buffer.from(t, 'base64');
}
