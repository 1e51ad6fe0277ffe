/** TCP and direct-TLS listeners. */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import type { TlsMaterial } from './tls/tls-material.js';

/** XEP-0368: the ALPN protocol of direct TLS client connections. */
export const ALPN_XMPP_CLIENT = 'xmpp-client';

export function createPlainListener(onSocket: (socket: Socket) => void): Server {
  return createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, onSocket);
}

export function createDirectTlsListener(
  config: Config,
  material: TlsMaterial,
  logger: Logger,
  onSocket: (socket: TLSSocket) => void,
): TlsServer {
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
    onSocket,
  );
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    logger.debug('direct TLS handshake failed', { ip: socket.remoteAddress, err: err.message });
  });
  return server;
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
  const addr = socket.remoteAddress ?? 'unknown';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
