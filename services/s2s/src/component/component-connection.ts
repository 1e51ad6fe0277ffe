/**
 * One XEP-0114 component connection (`jabber:component:accept`): its
 * socket, XML framer and state.
 *
 *   header     -> waiting for the component's stream header
 *   handshake  -> our header (with the stream id) is sent; waiting for <handshake/>
 *   admitting  -> the digest matched; the server makes the domain reachable
 *                 (onConnected) before answering <handshake/>; reading is paused
 *   ready      -> stanzas flow both ways
 *   closing    -> our </stream:stream> is written; waiting for the socket to close
 *   closed
 *
 * Everything before `ready` must complete within the handshake timeout
 * (`connection-timeout`). Stream errors follow RFC 6120 4.9 (and 4.7.1 for
 * a refused header: our header, the error, then the close tag); the server
 * then waits CLOSE_GRACE_MS for the component to close before dropping the
 * socket.
 */
import type { Socket } from 'node:net';
import { parseJID } from '@parley/jid';
import type { JID } from '@parley/jid';
import {
  NS_CLIENT,
  NS_SERVER,
  badRequest,
  canReplyWithError,
  errorReply,
  jidMalformed,
  streamError,
} from '@parley/stanza';
import type { StanzaError, StreamErrorCondition } from '@parley/stanza';
import { StreamFramer } from '@parley/xml';
import type { Element, StreamHeader, XmlError } from '@parley/xml';
import {
  NS_COMPONENT_ACCEPT,
  componentStreamHeader,
  fromComponentNamespace,
  handshakeMatches,
  newComponentStreamId,
} from './protocol.js';

export type ComponentConnectionState =
  'header' | 'handshake' | 'admitting' | 'ready' | 'closing' | 'closed';

/** How long to wait for the component to close after our </stream:stream>. */
export const CLOSE_GRACE_MS = 5_000;
/** Output buffered for a component that does not read, beyond which it is dropped. */
export const MAX_PENDING_OUTPUT = 4 * 1024 * 1024;

const STREAM_END = '</stream:stream>';
const IQ_TYPES: ReadonlySet<string> = new Set(['get', 'set', 'result', 'error']);

/** Why a handshake failed, as counted in `parley_component_handshake_failures_total`. */
export type HandshakeFailure =
  'bad-header' | 'host-unknown' | 'not-authorized' | 'conflict' | 'timeout' | 'closed' | 'error';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly maxStanzaBytes: number;
  readonly handshakeTimeoutMs: number;
  /** The shared secret of a configured component domain; undefined for any other domain. */
  secretOf(domain: string): string | undefined;
  /**
   * The handshake matched: claims the domain for this connection. False when
   * another connection of this node holds it already.
   */
  claim(conn: ComponentConnection): boolean;
  /** The domain is claimed: make it reachable (resolves before <handshake/> is answered). */
  admit(conn: ComponentConnection): Promise<void>;
  handshakeFailed(conn: ComponentConnection, reason: HandshakeFailure, text: string): void;
  /** A stanza from the component, its from and to checked and normalized. */
  stanza(conn: ComponentConnection, el: Element): void;
  /** The socket closed; `claimed` tells whether the connection held its domain. */
  closed(conn: ComponentConnection, claimed: boolean): void;
  log(
    level: 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown>,
  ): void;
}

export class ComponentConnection {
  state: ComponentConnectionState = 'header';
  /** The component's domain, once its header named a configured one. */
  domain: string | undefined;
  readonly streamId = newComponentStreamId();
  private readonly framer: StreamFramer;
  private headerSent = false;
  private claimed = false;
  /** Elements parsed while admitting; handled once ready. */
  private inbox: Element[] | undefined;
  private peerClosed = false;
  private readonly timer: NodeJS.Timeout;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: Socket,
    readonly id: string,
  ) {
    this.framer = new StreamFramer(this, {
      limits: { maxStanzaBytes: host.maxStanzaBytes },
      mode: 'tcp',
    });
    this.timer = setTimeout(() => this.onTimeout(), host.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onSocketClosed());
    // Resets and the like are followed by 'close'.
    socket.on('error', () => undefined);
  }

  get open(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  private onData(chunk: Buffer): void {
    if (!this.open) return;
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  // --- framer handlers (StreamFramer calls them as methods) -----------------

  streamOpen(header: StreamHeader): void {
    if (this.state !== 'header') return;
    const { attrs } = header;
    if (attrs['xmlns'] !== NS_COMPONENT_ACCEPT) {
      this.refuse(
        'bad-header',
        'invalid-namespace',
        `the content namespace must be ${NS_COMPONENT_ACCEPT}`,
      );
      return;
    }
    const to = attrs['to'];
    const domain = to === undefined ? undefined : normalizedDomain(to);
    if (domain === undefined || this.host.secretOf(domain) === undefined) {
      this.refuse('host-unknown', 'host-unknown', 'no component of that name is configured here');
      return;
    }
    this.domain = domain;
    this.state = 'handshake';
    this.headerSent = true;
    this.write(componentStreamHeader(this.streamId, domain));
  }

  stanza(el: Element): void {
    switch (this.state) {
      case 'handshake':
        this.onHandshake(el);
        return;
      case 'admitting':
        (this.inbox ??= []).push(el);
        return;
      case 'ready':
        this.onStanza(el);
        return;
      default:
        return;
    }
  }

  streamClose(): void {
    if (!this.open) return;
    this.peerClosed = true;
    if (this.state !== 'ready') {
      this.host.handshakeFailed(
        this,
        'closed',
        'the component closed the stream before the handshake',
      );
    }
    this.write(STREAM_END);
    this.beginClose();
  }

  error(err: XmlError): void {
    if (this.state !== 'ready' && this.state !== 'admitting') {
      this.host.handshakeFailed(this, 'error', err.message);
    }
    this.closeStream(err.condition, err.message);
  }

  // --- handshake -----------------------------------------------------------

  private onHandshake(el: Element): void {
    const domain = this.domain!;
    if (!el.is('handshake', NS_COMPONENT_ACCEPT)) {
      this.host.handshakeFailed(this, 'not-authorized', `<${el.name}/> before the handshake`);
      this.closeStream('not-authorized', 'authenticate with <handshake/> first');
      return;
    }
    const secret = this.host.secretOf(domain);
    if (secret === undefined || !handshakeMatches(el.text(), this.streamId, secret)) {
      this.host.handshakeFailed(this, 'not-authorized', 'the handshake digest did not match');
      this.closeStream('not-authorized', 'handshake failed');
      return;
    }
    if (!this.host.claim(this)) {
      this.host.handshakeFailed(this, 'conflict', 'the component is connected already');
      this.closeStream('conflict', 'this component is connected already');
      return;
    }
    this.claimed = true;
    this.state = 'admitting';
    this.socket.pause();
    this.host.admit(this).then(
      () => this.onAdmitted(),
      (err: unknown) => {
        this.host.log('error', 'could not make the component reachable', {
          conn: this.id,
          domain,
          err,
        });
        this.closeStream('internal-server-error');
      },
    );
  }

  private onAdmitted(): void {
    if (this.state !== 'admitting') return;
    clearTimeout(this.timer);
    this.state = 'ready';
    this.write('<handshake/>');
    const inbox = this.inbox;
    this.inbox = undefined;
    if (inbox !== undefined) {
      for (const el of inbox) {
        if (this.state !== 'ready') break;
        this.onStanza(el);
      }
    }
    if (this.open) this.socket.resume();
  }

  private onTimeout(): void {
    if (this.state === 'ready' || !this.open) return;
    this.host.handshakeFailed(this, 'timeout', 'no handshake in time');
    this.closeStream('connection-timeout', 'the handshake did not complete in time');
  }

  // --- stanzas from the component ----------------------------------------

  private onStanza(el: Element): void {
    const ns = el.getNS();
    const kind = el.name;
    if (
      (kind !== 'message' && kind !== 'presence' && kind !== 'iq') ||
      (ns !== NS_COMPONENT_ACCEPT && ns !== NS_CLIENT && ns !== NS_SERVER)
    ) {
      this.closeStream('unsupported-stanza-type', `<${el.name}/> is not a stanza`);
      return;
    }
    const rawFrom = el.attr('from');
    const rawTo = el.attr('to');
    if (rawFrom === undefined || rawFrom === '' || rawTo === undefined || rawTo === '') {
      this.closeStream('improper-addressing', "every stanza needs a 'from' and a 'to' address");
      return;
    }
    const from = tryJid(rawFrom);
    if (from === undefined || from.domain !== this.domain) {
      this.closeStream('invalid-from', `stanzas must come from an address at ${this.domain!}`);
      return;
    }
    el.setAttr('from', from.toString());
    fromComponentNamespace(el);
    const to = tryJid(rawTo);
    const type = el.attr('type') ?? '';
    if (to === undefined) {
      this.replyError(el, jidMalformed("the 'to' address is not a valid JID"));
      return;
    }
    el.setAttr('to', to.toString());
    const id = el.attr('id');
    if (kind === 'iq' && (id === undefined || id === '' || !IQ_TYPES.has(type))) {
      this.replyError(el, badRequest('an IQ needs an id and a type of get, set, result or error'));
      return;
    }
    this.host.stanza(this, el);
  }

  /** Answers a stanza with an error, unless it is an error or an IQ result itself. */
  replyError(el: Element, err: StanzaError): void {
    if (!canReplyWithError(el)) return;
    const reply = errorReply(el, err);
    reply.setAttr('xmlns', undefined);
    this.write(reply.toString());
  }

  // --- output --------------------------------------------------------------

  /** Writes stream data; false when the connection cannot take it any more. */
  write(data: string): boolean {
    if (this.state === 'closed' || this.socket.destroyed) return false;
    this.socket.write(data);
    if (this.socket.writableLength > MAX_PENDING_OUTPUT) {
      this.host.log('warn', 'component is not reading; dropping the connection', {
        conn: this.id,
        domain: this.domain,
        pending: this.socket.writableLength,
      });
      this.destroy();
      return false;
    }
    return true;
  }

  // --- closing -------------------------------------------------------------

  /** Refuses the stream header (RFC 6120 4.7.1: our header, the error, the close tag). */
  private refuse(reason: HandshakeFailure, condition: StreamErrorCondition, text: string): void {
    this.host.handshakeFailed(this, reason, text);
    this.closeStream(condition, text);
  }

  /** Closes the stream, with a stream error when `condition` is given. */
  closeStream(condition?: StreamErrorCondition, text?: string): void {
    if (!this.open) return;
    let out = '';
    if (!this.headerSent) {
      this.headerSent = true;
      out += componentStreamHeader(this.streamId, undefined);
    }
    if (condition !== undefined) {
      out += streamError(condition, text === undefined ? {} : { text }).toString();
      this.host.log('info', 'closing component stream with error', {
        conn: this.id,
        ...(this.domain !== undefined && { domain: this.domain }),
        condition,
        ...(text !== undefined && { text }),
      });
    }
    this.write(out + STREAM_END);
    this.beginClose();
  }

  private beginClose(): void {
    if (!this.open) return;
    this.state = 'closing';
    clearTimeout(this.timer);
    this.inbox = undefined;
    this.socket.end();
    // Input is ignored from now on, but read so that the peer's close is noticed.
    this.socket.resume();
    if (this.peerClosed) return;
    this.graceTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** An unexpected exception while handling this connection: close it alone. */
  private fail(err: unknown): void {
    this.host.log('error', 'internal error on a component connection', {
      conn: this.id,
      domain: this.domain,
      err,
    });
    try {
      this.closeStream('internal-server-error');
    } catch {
      this.socket.destroy();
    }
  }

  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.inbox = undefined;
    const claimed = this.claimed;
    this.claimed = false;
    this.host.closed(this, claimed);
  }
}

function tryJid(s: string): JID | undefined {
  try {
    return parseJID(s);
  } catch {
    return undefined;
  }
}

/** The normalized domain of a header's `to`; undefined when it is not a bare domain. */
function normalizedDomain(to: string): string | undefined {
  const jid = tryJid(to);
  if (jid === undefined || jid.local !== '' || jid.resource !== '') return undefined;
  return jid.domain;
}
