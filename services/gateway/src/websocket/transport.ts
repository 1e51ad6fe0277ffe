/**
 * RFC 7395 over one `ws` WebSocket: each text message in is one element for
 * the framer (mode `websocket`), each element out is one text message. Event
 * listeners are shared functions that find their connection through a
 * symbol on the WebSocket, as for TCP sockets (no closures per connection).
 */
import type { TLSSocket } from 'node:tls';
import type { RawData, WebSocket } from 'ws';
import type { Connection } from '../connection.js';
import type { CloseInfo, HeaderInfo, StreamTransport } from '../transport/transport.js';
import { closeElement, frameElement, openElement } from './framing.js';

const kConnection = Symbol('parley.connection');

type OwnedWebSocket = WebSocket & { [kConnection]?: Connection };

/** WebSocket close codes (RFC 6455 7.4.1). */
const NORMAL_CLOSURE = 1000;
const UNSUPPORTED_DATA = 1003;

export class WebSocketTransport implements StreamTransport {
  readonly framing = 'websocket';
  readonly canStartTls = false;
  /** When the unanswered ping was sent; 0 when none is outstanding. */
  pingAt = 0;

  constructor(
    readonly ws: WebSocket,
    readonly kind: 'ws' | 'wss',
    readonly secure: boolean,
    /** The TLS socket of a wss:// connection. */
    private readonly tls: TLSSocket | undefined,
    readonly remotePort: number | undefined,
    readonly secureAlternative: string | undefined,
  ) {}

  attach(conn: Connection): void {
    const ws = this.ws as OwnedWebSocket;
    ws[kConnection] = conn;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  tlsSocket(): TLSSocket | undefined {
    return this.tls;
  }

  get pendingOutput(): number {
    return this.ws.bufferedAmount;
  }

  get gone(): boolean {
    return this.ws.readyState !== this.ws.OPEN;
  }

  openStream(header: HeaderInfo, features: string): void {
    this.ws.send(openElement(header.domain, header.lang, header.peer));
    this.ws.send(frameElement(features));
  }

  write(xml: string): void {
    this.ws.send(frameElement(xml));
  }

  closeStream(info: CloseInfo): void {
    const ws = this.ws;
    if (ws.readyState === ws.OPEN) {
      // RFC 7395 3.5: an error on opening comes after our <open/>; a redirect replaces it.
      const { header } = info;
      if (header !== undefined && info.seeOtherUri === undefined) {
        ws.send(openElement(header.domain, header.lang, header.peer));
      }
      if (info.error !== undefined) ws.send(frameElement(info.error));
      ws.send(closeElement(info.seeOtherUri));
    }
    // RFC 7395 3.6: the closing party starts the WebSocket closing handshake.
    ws.close(info.wsCode ?? NORMAL_CLOSURE);
    ws.resume();
  }

  keepalive(now: number, lastRead: number, intervalMs: number): boolean {
    if (intervalMs <= 0) return true;
    if (this.pingAt !== 0) return now - this.pingAt < intervalMs;
    if (now - lastRead < intervalMs || this.ws.readyState !== this.ws.OPEN) return true;
    this.pingAt = now;
    this.ws.ping();
    return true;
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function transportOf(conn: Connection): WebSocketTransport {
  return conn.transport as WebSocketTransport;
}

function onMessage(this: OwnedWebSocket, data: RawData, isBinary: boolean): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  transportOf(conn).pingAt = 0;
  if (isBinary) {
    // RFC 7395 3.2: XMPP messages are UTF-8 text frames.
    conn.lastRead = Date.now();
    conn.closeStream('bad-format', 'RFC 7395 allows only text messages, not binary ones', {
      wsCode: UNSUPPORTED_DATA,
    });
    return;
  }
  // Server-side `ws` hands a message over as one Buffer (fragments joined).
  conn.onData(
    Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
  );
}

function onPong(this: OwnedWebSocket): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  transportOf(conn).pingAt = 0;
  conn.lastRead = Date.now();
}

function onClose(this: OwnedWebSocket): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  this[kConnection] = undefined;
  conn.onSocketClosed();
}

/**
 * `ws` has already started closing (and 'close' follows). A WebSocket
 * protocol error (a bad frame, a message over the hard size cap) is the
 * client's fault: its stream ends as after a stream error, the session with
 * it (nothing more can be written). A reset or other socket error is a lost
 * connection: a resumable session waits for resumption.
 */
function onError(this: OwnedWebSocket, err: Error & { code?: string }): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
    const condition =
      err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'policy-violation' : 'bad-format';
    conn.closeStream(condition, `WebSocket protocol error: ${err.message}`);
    return;
  }
  conn.ctx.logger.debug('websocket error', { conn: conn.id, ip: conn.ip, err });
}
