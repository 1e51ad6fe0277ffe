/**
 * Who a TCP client is: the socket's peer, or, with `c2s.proxyProtocol`, the
 * client named by the PROXY header its load balancer sends first.
 *
 * With the protocol on, the header is mandatory and accepted only from
 * `c2s.proxyTrustedAddresses`:
 *
 * - a peer outside that list is closed at once, unread (a client reaching
 *   the port directly must not be able to claim any address it likes);
 * - a trusted peer that sends no header, a malformed one, or none within
 *   `c2s.proxyHeaderTimeoutMs` is closed (a load balancer that forgot the
 *   header would otherwise make every client look like the balancer again);
 * - a LOCAL (v2) or UNKNOWN (v1) header, or one for another family than
 *   TCP over IPv4/IPv6, keeps the socket's own address (health checks).
 *
 * Every outcome is counted in `parley_c2s_proxy_headers_total{result}`.
 */
import type { Socket } from 'node:net';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import { remoteIp } from '../listeners.js';
import { TrustedAddresses, unmapIp } from '../net/trusted-addresses.js';
import { readProxyHeader } from './reader.js';
import type { ProxyReadFailure } from './reader.js';

/** The client of a connection, as every limit, throttle, log line and metric sees it. */
export interface ClientAddress {
  ip: string;
  port: number | undefined;
  /** The load balancer's address, when `ip` came from its PROXY header. */
  via?: string;
}

/** `proxy`: client taken from the header; `local`: socket address kept; the rest close the connection. */
export type ProxyOutcome = 'proxy' | 'local' | 'untrusted' | ProxyReadFailure;
export const PROXY_OUTCOMES: readonly ProxyOutcome[] = [
  'proxy',
  'local',
  'untrusted',
  'missing',
  'invalid',
  'timeout',
  'closed',
];

export type ClientListener = 'tcp' | 'tls';

export interface ProxyGate {
  /** Whether PROXY headers are read (the direct TLS port then needs a plain front listener). */
  readonly enabled: boolean;
  /**
   * Finds the client of a just accepted `socket` and calls `next` with it
   * (synchronously when the protocol is off), or closes the socket.
   */
  admit(socket: Socket, listener: ClientListener, next: (client: ClientAddress) => void): void;
}

export interface ProxyGateOptions {
  config: Config;
  logger: Logger;
  count(outcome: ProxyOutcome): void;
}

export function createProxyGate(opts: ProxyGateOptions): ProxyGate {
  const { config, logger, count } = opts;
  if (!config.c2s.proxyProtocol) {
    return {
      enabled: false,
      admit(socket, _listener, next) {
        next({ ip: remoteIp(socket), port: socket.remotePort });
      },
    };
  }
  const trusted = new TrustedAddresses(config.c2s.proxyTrustedAddresses);
  const timeoutMs = config.c2s.proxyHeaderTimeoutMs;
  return {
    enabled: true,
    admit(socket, listener, next) {
      const peer = remoteIp(socket);
      socket.on('error', ignore);
      if (!trusted.has(peer)) {
        count('untrusted');
        logger.info('connection refused: not a trusted PROXY protocol peer', {
          ip: peer,
          listener,
        });
        socket.destroy();
        return;
      }
      readProxyHeader(socket, { timeoutMs }, (result) => {
        if (!result.ok) {
          count(result.failure);
          const fields = { ip: peer, listener, reason: result.reason };
          if (result.failure === 'missing' || result.failure === 'invalid') {
            logger.info('connection refused: bad PROXY protocol header', fields);
          } else {
            logger.debug('connection dropped before its PROXY protocol header', fields);
          }
          socket.destroy();
          return;
        }
        const { header } = result;
        if (header.command === 'local' || header.source === undefined) {
          count('local');
          next({ ip: peer, port: socket.remotePort });
          return;
        }
        count('proxy');
        next({ ip: unmapIp(header.source.ip), port: header.source.port, via: peer });
      });
    },
  };
}

function ignore(): void {}
