/**
 * One server-to-server XML stream over TCP (RFC 6120 section 4): the socket,
 * the StreamFramer, STARTTLS upgrades on either side (RFC 6120 section 5),
 * stream restarts, stream errors (section 4.9), the idle timer and the
 * closing handshake (section 4.4).
 * https://www.rfc-editor.org/rfc/rfc6120#section-4
 *
 * The stream's default namespace is `jabber:server` and the dialback prefix
 * `db` is declared on the header (XEP-0220 section 2.1), so a parsed
 * `<db:result/>` carries its namespace on itself.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { ConnectionOptions, TLSSocket, TlsOptions } from 'node:tls';
import { NS_SERVER, NS_STREAM, streamError } from '@parley/stanza';
import type { StreamErrorCondition } from '@parley/stanza';
import type { Logger } from '@parley/telemetry';
import { StreamFramer, escapeAttr } from '@parley/xml';
import type { Element, StreamHeader, XmlError } from '@parley/xml';

export const NS_DIALBACK = 'jabber:server:dialback';
const STREAM_END = '</stream:stream>';
/** How long to wait for the peer's `</stream:stream>` (and TCP close) after ours. */
export const CLOSE_GRACE_MS = 5_000;

export interface StreamHeaderAttrs {
  from?: string;
  to?: string;
  id?: string;
}

/** What the owner of a stream is told. Exceptions thrown here become `internal-server-error`. */
export interface S2sStreamHandlers {
  header(header: StreamHeader): void;
  element(el: Element): void;
  /** The socket is gone. `error` says why when the stream did not end cleanly. */
  closed(info: { error?: string; byPeer: boolean }): void;
  /** No stanza in either direction for `idleTimeoutMs`. */
  idle(): void;
}

export interface S2sStreamOptions {
  maxStanzaBytes: number;
  idleTimeoutMs: number;
  logger: Logger;
  /** The socket is already TLS (direct TLS, XEP-0368). */
  secure: boolean;
}

/** A random stream id (RFC 6120 4.7.3: unique, unpredictable). */
export function newStreamId(): string {
  return randomBytes(12).toString('base64url');
}

/** Our stream header; `<?xml?>` first, since every header starts a new XML document. */
export function streamHeaderXml(attrs: StreamHeaderAttrs): string {
  let s = `<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS_STREAM}' xmlns:db='${NS_DIALBACK}'`;
  if (attrs.from !== undefined) s += ` from='${escapeAttr(attrs.from)}'`;
  if (attrs.to !== undefined) s += ` to='${escapeAttr(attrs.to)}'`;
  if (attrs.id !== undefined) s += ` id='${escapeAttr(attrs.id)}'`;
  return s + ` version='1.0'>`;
}

export class S2sStream {
  socket: Socket;
  secure: boolean;
  readonly framer: StreamFramer;
  /** Our header of the current stream (since the last restart) has been written. */
  headerSent = false;
  /** Our `</stream:stream>` (or a stream error) has been written: nothing more goes out. */
  ending = false;
  closed = false;
  /** Resolves once the socket is gone. */
  readonly done: Promise<void>;
  private markDone!: () => void;
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private lastHeader: StreamHeaderAttrs = {};
  private closeError: string | undefined;
  /** The peer's `</stream:stream>` was read. */
  private peerEnded = false;
  private readonly onData = (chunk: Buffer): void => this.input(chunk);
  private readonly onClose = (): void => this.socketClosed();
  private readonly onError = (err: Error): void => {
    this.closeError ??= err.message;
  };

  constructor(
    socket: Socket,
    private readonly opts: S2sStreamOptions,
    private readonly handlers: S2sStreamHandlers,
  ) {
    this.socket = socket;
    this.secure = opts.secure;
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
    this.framer = new StreamFramer(
      {
        streamOpen: (h) => this.handlers.header(h),
        stanza: (el) => this.handlers.element(el),
        streamClose: () => this.peerClosed(),
        error: (err) => this.parseError(err),
      },
      { mode: 'tcp', limits: { maxStanzaBytes: opts.maxStanzaBytes } },
    );
    this.wire(socket);
    this.touch();
  }

  get logger(): Logger {
    return this.opts.logger;
  }

  private wire(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  /** Restarts the idle timer: a stanza went in or out. */
  touch(): void {
    const ms = this.opts.idleTimeoutMs;
    if (ms <= 0 || this.closed) return;
    if (this.idleTimer === undefined) {
      this.idleTimer = setTimeout(() => {
        if (!this.closed && !this.ending) this.handlers.idle();
      }, ms);
    } else {
      this.idleTimer.refresh();
    }
  }

  private input(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.framer.write(chunk);
    } catch (err) {
      this.logger.error('s2s stream handler failed', { err });
      this.fail('internal-server-error');
    }
  }

  /** Writes our stream header (remembered for a stream error sent before the next one). */
  sendHeader(attrs: StreamHeaderAttrs): void {
    this.lastHeader = attrs;
    this.headerSent = true;
    this.write(streamHeaderXml(attrs));
  }

  /** Writes raw XML; `cb` gets an error when it cannot be written. */
  write(xml: string, cb?: (err?: Error | null) => void): boolean {
    if (this.ending || this.closed || this.socket.destroyed) {
      if (cb !== undefined) queueMicrotask(() => cb(new Error('stream closed')));
      return false;
    }
    return this.socket.write(xml, cb);
  }

  writeElement(el: Element): void {
    this.write(el.toString());
  }

  /** Starts a new stream on the same connection (after STARTTLS or SASL success). */
  restart(): void {
    this.headerSent = false;
    this.framer.reset();
  }

  /**
   * Sends a stream error (after a header of ours if none was sent on this
   * stream yet) and closes.
   */
  fail(condition: StreamErrorCondition, text?: string, header?: StreamHeaderAttrs): void {
    if (this.ending || this.closed) return;
    this.closeError ??= text === undefined ? condition : `${condition}: ${text}`;
    let out = '';
    if (!this.headerSent)
      out += streamHeaderXml(header ?? { ...this.lastHeader, id: newStreamId() });
    out += streamError(condition, text === undefined ? {} : { text }).toString();
    this.finish(out);
  }

  /** Closes cleanly with `</stream:stream>` and waits (bounded) for the peer's. */
  close(): void {
    if (this.ending || this.closed) return;
    this.finish(this.headerSent ? '' : streamHeaderXml({ ...this.lastHeader, id: newStreamId() }));
  }

  private finish(prefix: string): void {
    this.ending = true;
    const socket = this.socket;
    if (!socket.destroyed) {
      socket.write(prefix + STREAM_END);
      socket.end();
      socket.resume();
    }
    this.graceTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
  }

  destroy(): void {
    this.socket.destroy();
    // 'close' follows; for a socket that never connected it may not, so settle here too.
    setImmediate(() => this.socketClosed());
  }

  private peerClosed(): void {
    if (!this.ending) {
      this.ending = true;
      if (!this.socket.destroyed) {
        this.socket.write(STREAM_END);
        this.socket.end();
      }
      this.graceTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    }
    this.peerEnded = true;
  }

  private parseError(err: XmlError): void {
    this.fail(err.condition, err.message);
  }

  private socketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.ending = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.graceTimer);
    this.markDone();
    const clean = this.peerEnded && this.closeError === undefined;
    this.handlers.closed(
      clean || this.closeError === undefined
        ? { byPeer: this.peerEnded }
        : { error: this.closeError, byPeer: this.peerEnded },
    );
  }

  private detach(): Socket {
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.pause();
    return raw;
  }

  /**
   * Receiving side of STARTTLS, after `<proceed/>` was written: wraps the
   * socket in a server TLSSocket asking for the peer's certificate (checked
   * later, never refused during the handshake). Resolves once secure.
   */
  upgradeServer(tlsOptions: TlsOptions, timeoutMs: number): Promise<TLSSocket> {
    const raw = this.detach();
    // A tls.Server (never listening) wraps the socket: only then does Node check the
    // client certificate against the CA bundle and set `authorized`.
    const server = createTlsServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error('TLS handshake timed out'));
      }, timeoutMs);
      const ok = (tls: TLSSocket): void => {
        cleanup();
        this.socket = tls;
        this.wire(tls);
        this.secure = true;
        this.restart();
        resolve(tls);
      };
      const bad = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        server.off('secureConnection', ok);
        server.off('tlsClientError', bad);
      };
      server.on('secureConnection', ok);
      server.on('tlsClientError', bad);
      server.emit('connection', raw);
    });
  }

  /** Initiating side of STARTTLS, after `<proceed/>` was read. */
  upgradeClient(options: ConnectionOptions, timeoutMs: number): Promise<TLSSocket> {
    const raw = this.detach();
    const tls = tlsConnect({ ...options, socket: raw });
    return this.adopt(tls, 'secureConnect', timeoutMs);
  }

  private adopt(
    tls: TLSSocket,
    event: 'secure' | 'secureConnect',
    timeoutMs: number,
  ): Promise<TLSSocket> {
    this.socket = tls;
    this.wire(tls);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error('TLS handshake timed out'));
      }, timeoutMs);
      const ok = (): void => {
        cleanup();
        this.secure = true;
        // Reset outside the parser: nothing read in plaintext survives into the new stream.
        this.restart();
        resolve(tls);
      };
      const bad = (err?: Error): void => {
        cleanup();
        reject(err ?? new Error('connection closed during the TLS handshake'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        tls.off(event, ok);
        tls.off('error', bad);
        tls.off('close', closeBad);
      };
      const closeBad = (): void => bad();
      tls.once(event, ok);
      tls.once('error', bad);
      tls.once('close', closeBad);
    });
  }
}

/** Stream header checks common to both sides (RFC 6120 4.7, 4.8; XEP-0220 2.1). */
export function checkS2sHeader(
  header: StreamHeader,
): { ok: true } | { ok: false; condition: StreamErrorCondition; text: string } {
  const { name, attrs } = header;
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? undefined : name.slice(0, colon);
  const ns = prefix === undefined ? attrs['xmlns'] : attrs[`xmlns:${prefix}`];
  if (ns !== NS_STREAM)
    return { ok: false, condition: 'invalid-namespace', text: 'bad stream namespace' };
  if (prefix !== 'stream') {
    return {
      ok: false,
      condition: 'bad-namespace-prefix',
      text: "the stream prefix must be 'stream'",
    };
  }
  if (attrs['xmlns'] !== NS_SERVER) {
    return {
      ok: false,
      condition: 'invalid-namespace',
      text: `the content namespace must be ${NS_SERVER}`,
    };
  }
  const db = attrs['xmlns:db'];
  if (db !== undefined && db !== NS_DIALBACK) {
    return {
      ok: false,
      condition: 'invalid-namespace',
      text: `the db prefix must be ${NS_DIALBACK}`,
    };
  }
  const version = attrs['version'];
  if (version === undefined || !/^1\.\d+$/.test(version)) {
    return { ok: false, condition: 'unsupported-version', text: 'XMPP 1.0 streams only' };
  }
  return { ok: true };
}
