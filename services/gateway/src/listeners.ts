/**
 * TCP and direct-TLS listeners. Each accepted socket passes the PROXY
 * protocol gate (src/proxy/gate.ts) before anything reads it, so the
 * connection carries its client's address from the start.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import { unmapIp } from './net/trusted-addresses.js';
import type { ClientAddress, ProxyGate } from './proxy/gate.js';
import type { TlsMaterial } from '@parley/process';

/** XEP-0368: the ALPN protocol of direct TLS client connections. */
export const ALPN_XMPP_CLIENT = 'xmpp-client';

function createTcpServer(onSocket: (socket: Socket) => void): Server {
  return createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, onSocket);
}

/** The STARTTLS port: plain TCP sockets, handed over once the gate knows their client. */
export function createPlainListener(
  gate: ProxyGate,
  onSocket: (socket: Socket, client: ClientAddress) => void,
): Server {
  return createTcpServer((socket) =>
    gate.admit(socket, 'tcp', (client) => onSocket(socket, client)),
  );
}

/**
 * The direct TLS port (XEP-0368). With the PROXY protocol the header comes
 * before the ClientHello: a plain TCP listener takes the connection, the gate
 * reads the header, and the socket is then handed to a TLS server that does
 * not listen itself (`emit('connection')`, which wraps it exactly as an
 * accepted one). The client address travels from the raw socket to its
 * TLSSocket by the peer's address and port, which both share.
 */
export function createDirectTlsListener(
  config: Config,
  material: TlsMaterial,
  logger: Logger,
  gate: ProxyGate,
  onSocket: (socket: TLSSocket, client: ClientAddress) => void,
): Server {
  const proxied = new Map<string, ClientAddress>();
  const clientOf = (socket: Socket): ClientAddress => {
    const direct = { ip: remoteIp(socket), port: socket.remotePort };
    if (!gate.enabled) return direct;
    const key = peerKey(socket);
    const client = proxied.get(key);
    proxied.delete(key);
    return client ?? direct;
  };
  const server = createTlsServer(
    {
      key: material.key,
      cert: material.cert,
      minVersion: 'TLSv1.2',
      ALPNProtocols: [ALPN_XMPP_CLIENT],
      handshakeTimeout: config.c2s.connectTimeoutMs,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    },
    (socket: TLSSocket) => onSocket(socket, clientOf(socket)),
  );
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    logger.debug('direct TLS handshake failed', { ip: clientOf(socket).ip, err });
  });
  if (!gate.enabled) return server;
  return createTcpServer((raw) =>
    gate.admit(raw, 'tls', (client) => {
      const key = peerKey(raw);
      proxied.set(key, client);
      raw.once('close', () => {
        if (proxied.get(key) === client) proxied.delete(key);
      });
      server.emit('connection', raw);
    }),
  );
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting; resolves when the listener is closed or after `timeoutMs`. */
export function stopListening(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The remote address without the IPv4-mapped IPv6 prefix. */
export function remoteIp(socket: Socket): string {
  return unmapIp(socket.remoteAddress ?? 'unknown');
}
