/**
 * TCP and direct-TLS listeners. Each accepted socket passes the PROXY
 * protocol gate (src/proxy/gate.ts) before anything reads it, so the
 * connection carries its client's address from the start, and that address
 * is what the per-address limits (src/limits/address-limits.ts) count.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import { unmapIp } from './net/trusted-addresses.js';
import type { AddressLimits, AddressSlot } from './limits/address-limits.js';
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

export interface DirectTlsOptions {
  config: Config;
  material: TlsMaterial;
  logger: Logger;
  gate: ProxyGate;
  limits: AddressLimits;
}

/**
 * The direct TLS port (XEP-0368). A plain TCP listener takes each
 * connection: the PROXY gate finds its client (c2s.proxyProtocol), it takes
 * its place in the per-address limits (so a TLS handshake counts as an
 * unauthenticated connection, and eviction closes it plainly), and the
 * socket is handed to a TLS server that does not listen itself
 * (`emit('connection')`, which wraps it exactly as an accepted one), with a
 * handshake timeout of c2s.tlsHandshakeTimeoutMs. The client and its slot
 * travel from the raw socket to its TLSSocket by the peer's address and
 * port, which both share.
 */
export function createDirectTlsListener(
  opts: DirectTlsOptions,
  onSocket: (socket: TLSSocket, client: ClientAddress, slot: AddressSlot) => void,
): Server {
  const { config, material, logger, gate, limits } = opts;
  const pending = new Map<string, { client: ClientAddress; slot: AddressSlot }>();
  const server = createTlsServer(
    {
      key: material.key,
      cert: material.cert,
      minVersion: 'TLSv1.2',
      ALPNProtocols: [ALPN_XMPP_CLIENT],
      handshakeTimeout: config.c2s.tlsHandshakeTimeoutMs,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    },
    (socket: TLSSocket) => {
      const key = peerKey(socket);
      const held = pending.get(key);
      pending.delete(key);
      if (held === undefined || held.slot.state === 'released') {
        // Evicted while its handshake ran (or gone): it does not start a stream.
        socket.destroy();
        return;
      }
      onSocket(socket, held.client, held.slot);
    },
  );
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    logger.debug('direct TLS handshake failed', {
      ip: pending.get(peerKey(socket))?.client.ip ?? remoteIp(socket),
      err,
    });
    // A socket handed over with emit('connection') is not destroyed for us (handshake timeout).
    socket.destroy();
  });
  return createTcpServer((raw) =>
    gate.admit(raw, 'tls', (client) => {
      const key = peerKey(raw);
      const slot = limits.open(client.ip, () => raw.destroy());
      const held = { client, slot };
      pending.set(key, held);
      raw.once('close', () => {
        // Before or after the stream (the connection releases it too; releasing is idempotent).
        limits.release(slot);
        if (pending.get(key) === held) pending.delete(key);
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
