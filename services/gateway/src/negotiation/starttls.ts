/**
 * STARTTLS (RFC 6120 section 5): answer <proceed/>, wrap the same socket in
 * a server TLSSocket, and restart the stream once the handshake completes.
 * Anything the client pipelined after <starttls/> in plaintext is discarded
 * (it must not be trusted once TLS is up). There is no STARTTLS over
 * WebSocket (RFC 7395 3.9): there, as on a stream that is already
 * encrypted, <starttls/> gets <failure/> and the stream is closed.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { NS_TLS } from '@parley/stanza';
import type { Connection } from '../connection.js';
import { attachSocket, connectionOf, stopReading } from '../socket-events.js';
import { TcpTransport } from '../transport/tcp.js';

const PROCEED = `<proceed xmlns="${NS_TLS}"/>`;
const FAILURE = `<failure xmlns="${NS_TLS}"/>`;

export function startTls(conn: Connection): void {
  const transport = conn.transport;
  if (conn.secure || !(transport instanceof TcpTransport)) {
    // Already encrypted, or WebSocket: the TLS failure case (RFC 6120 5.4.2.2) closes the stream.
    conn.send(FAILURE);
    conn.closeStream();
    return;
  }
  const raw = transport.socket;
  if (!conn.transition('starttls')) return;
  conn.handshakeDeadline = Date.now() + conn.ctx.config.c2s.tlsHandshakeTimeoutMs;
  conn.awaitingHeader = true;
  // The raw socket keeps its close/error listeners until the TLS socket replaces it.
  stopReading(raw);
  raw.write(PROCEED, (err) => {
    if (err || raw.destroyed || conn.state !== 'tls-handshake') {
      conn.destroy();
      return;
    }
    try {
      upgrade(conn, transport, raw);
    } catch (upgradeErr) {
      conn.ctx.logger.error('STARTTLS upgrade failed', { conn: conn.id, err: upgradeErr });
      conn.destroy();
    }
  });
}

function upgrade(conn: Connection, transport: TcpTransport, raw: Socket): void {
  const secure = new TLSSocket(raw, {
    isServer: true,
    secureContext: conn.ctx.tls.secureContext,
    requestCert: false,
  });
  transport.socket = secure;
  attachSocket(secure, conn);
  secure.once('secure', onSecure);
}

function onSecure(this: TLSSocket): void {
  const conn = connectionOf(this);
  if (conn === undefined || conn.state !== 'tls-handshake') return;
  if (!conn.transition('tls-established')) return;
  conn.secure = true;
  conn.lastWrite = Date.now();
  // Reset outside the parser, so nothing sent in plaintext after <starttls/> survives.
  conn.restartStream();
}
