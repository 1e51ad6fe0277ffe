/**
 * RFC 6120 over TCP: the STARTTLS port (`tcp`) and direct TLS (`tls`,
 * XEP-0368). The stream is one XML document; STARTTLS swaps `socket` for a
 * TLSSocket (negotiation/starttls.ts).
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Connection } from '../connection.js';
import { streamHeader } from '../negotiation/stream-header.js';
import { attachSocket } from '../socket-events.js';
import type { CloseInfo, HeaderInfo, StreamTransport } from './transport.js';

const STREAM_END = '</stream:stream>';

export class TcpTransport implements StreamTransport {
  readonly framing = 'tcp';
  readonly canStartTls = true;
  readonly secureAlternative = undefined;

  constructor(
    public socket: Socket,
    readonly kind: 'tcp' | 'tls',
  ) {}

  /** Wires the socket's events to `conn` (shared listeners, no closures). */
  attach(conn: Connection): void {
    attachSocket(this.socket, conn);
  }

  get secure(): boolean {
    return this.kind === 'tls';
  }

  tlsSocket(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get pendingOutput(): number {
    return this.socket.writableLength;
  }

  get gone(): boolean {
    return this.socket.destroyed;
  }

  openStream(header: HeaderInfo, features: string): void {
    this.socket.write(streamHeader(header.domain, header.lang, header.peer) + features);
  }

  write(xml: string): void {
    this.socket.write(xml);
  }

  closeStream(info: CloseInfo): void {
    const { header } = info;
    let out = header === undefined ? '' : streamHeader(header.domain, header.lang, header.peer);
    if (info.error !== undefined) out += info.error;
    this.socket.write(out + STREAM_END);
    this.socket.end();
    // Input is ignored from now on, but read so that the peer's close is noticed.
    this.socket.resume();
  }

  keepalive(): boolean {
    return true;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
