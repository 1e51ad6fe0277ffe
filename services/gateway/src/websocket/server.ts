/**
 * The HTTP side of XMPP over WebSocket: a plain (ws://) or TLS (wss://, the
 * c2s certificate) HTTP server per listener that
 *
 * - upgrades GET `websocket.path` to a WebSocket when the client asks for
 *   the `xmpp` sub-protocol (RFC 7395 3.1; else HTTP 400) from an allowed
 *   Origin (else HTTP 403), and hands it to the gateway;
 * - serves XEP-0156 `/.well-known/host-meta` and `host-meta.json`, with
 *   CORS so that web clients on other origins can read them;
 * - hands requests for `bosh.path` to BOSH (XEP-0206, ../bosh/) when enabled;
 * - answers everything else with 404 (426 for the endpoint without Upgrade).
 *
 * Messages are limited by the framer to `c2s.maxStanzaBytes` (bigger ones
 * end the stream with policy-violation); `ws` itself refuses messages over
 * twice that before buffering them (close code 1009). No compression
 * (permessage-deflate) is negotiated.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { remoteIp } from '../listeners.js';
import { TrustedAddresses, unmapIp } from '../net/trusted-addresses.js';
import type { TlsMaterial } from '@parley/process';
import { WS_SUBPROTOCOL } from './framing.js';
import {
  HOST_META_JSON_PATH,
  HOST_META_PATH,
  endpointUrls,
  hostFromHeader,
  hostMetaJson,
  hostMetaXml,
} from './host-meta.js';
import type { WebSocketPorts } from './host-meta.js';
import type { BoshHttpClient } from '../bosh/http.js';
import type { AddressLimits, AddressSlot } from '../limits/address-limits.js';

/** What the gateway learns about an accepted WebSocket. */
export interface WebSocketClient {
  ws: WebSocket;
  kind: 'ws' | 'wss';
  /** The client's address (from X-Forwarded-For when the peer is a trusted proxy). */
  ip: string;
  remotePort: number | undefined;
  /** The TLS socket of a wss:// connection, for channel binding. */
  tlsSocket: TLSSocket | undefined;
  /** The host the client asked for (Host header), when it is a plausible one. */
  host: string | undefined;
  /** Its place in the per-address limits, taken for `ip` with the time of the TCP accept. */
  slot: AddressSlot;
}

export interface WebSocketListenerOptions {
  kind: 'ws' | 'wss';
  config: Config;
  tls: TlsMaterial;
  logger: Logger;
  /** Bound ports of both WebSocket listeners, filled in once they listen. */
  ports: WebSocketPorts;
  /** Per-address limits: a connection counts as unauthenticated from its TCP accept. */
  limits: AddressLimits;
  accept(client: WebSocketClient): void;
  /** XEP-0206 BOSH on the same listener (bosh/), when `bosh.enabled`. */
  bosh?: BoshEndpoint;
}

/** What the listener needs of BOSH: its requests at `bosh.path`, and its URLs for host-meta. */
export interface BoshEndpoint {
  serve(req: IncomingMessage, res: ServerResponse, client: BoshHttpClient): void;
  urls(host: string | undefined): string[];
}

/** One `ws` server for every listener of a gateway: it only performs handshakes. */
export function createWebSocketServer(config: Config): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // The framer reports invalid UTF-8 as a stream error (unsupported-encoding).
    skipUTF8Validation: true,
    maxPayload: 2 * config.c2s.maxStanzaBytes,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
}

export function createWebSocketListener(
  wss: WebSocketServer,
  opts: WebSocketListenerOptions,
): Server {
  const { kind, config, logger } = opts;
  const trustedProxies = new TrustedAddresses(config.websocket.trustedProxies);
  const accepted = trackAccepted(opts.limits, trustedProxies);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    accepted.firstRequest(req.socket);
    try {
      serveHttp(opts, trustedProxies, req, res);
    } catch (err) {
      logger.warn('websocket listener request failed', { err });
      res.destroy();
    }
  };
  const server: Server =
    kind === 'wss'
      ? createHttpsServer(
          {
            key: opts.tls.key,
            cert: opts.tls.cert,
            minVersion: 'TLSv1.2',
            ALPNProtocols: ['http/1.1'],
            // Node's default is 120 s: a silent peer would hold a socket that long.
            handshakeTimeout: config.c2s.tlsHandshakeTimeoutMs,
            connectionsCheckingInterval: CHECK_INTERVAL_MS,
            noDelay: true,
            keepAlive: true,
            keepAliveInitialDelay: 60_000,
          },
          onRequest,
        )
      : createHttpServer(
          {
            connectionsCheckingInterval: CHECK_INTERVAL_MS,
            noDelay: true,
            keepAlive: true,
            keepAliveInitialDelay: 60_000,
          },
          onRequest,
        );
  server.on('connection', accepted.onConnection);
  // Slow or silent clients do not keep a socket before the handshake for long.
  server.headersTimeout = Math.min(config.c2s.connectTimeoutMs, 30_000);
  server.requestTimeout = Math.min(config.c2s.connectTimeoutMs, 30_000);
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    logger.debug('wss TLS handshake failed', { ip: socket.remoteAddress, err });
    socket.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', ignore);
    const acceptedAt = accepted.firstRequest(req.socket);
    try {
      upgrade(wss, opts, trustedProxies, req, socket, head, acceptedAt);
    } catch (err) {
      logger.warn('websocket upgrade failed', { err });
      socket.destroy();
    }
  });
  return server;
}

function upgrade(
  wss: WebSocketServer,
  opts: WebSocketListenerOptions,
  trustedProxies: TrustedAddresses,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  acceptedAt: number,
): void {
  const { config, logger, kind } = opts;
  const ws = config.websocket;
  if (pathOf(req) !== ws.path) {
    abort(socket, 404, 'Not Found', 'no WebSocket endpoint here\n');
    return;
  }
  const origin = req.headers.origin;
  if (!originAllowed(origin, ws.allowedOrigins)) {
    logger.info('websocket refused: origin not allowed', {
      ip: clientAddress(req, trustedProxies),
      origin,
    });
    abort(socket, 403, 'Forbidden', 'this origin may not connect\n');
    return;
  }
  if (!subprotocols(req).includes(WS_SUBPROTOCOL)) {
    abort(
      socket,
      400,
      'Bad Request',
      `the WebSocket sub-protocol '${WS_SUBPROTOCOL}' (RFC 7395) is required\n`,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (websocket) => {
    const ip = clientAddress(req, trustedProxies);
    opts.accept({
      ws: websocket,
      kind,
      ip,
      slot: opts.limits.open(ip, () => websocket.terminate(), acceptedAt),
      remotePort: req.socket.remotePort,
      tlsSocket: kind === 'wss' ? (req.socket as TLSSocket) : undefined,
      host: hostFromHeader(req.headers.host),
    });
  });
}

function serveHttp(
  opts: WebSocketListenerOptions,
  trustedProxies: TrustedAddresses,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = pathOf(req);
  const method = req.method ?? 'GET';
  if (opts.bosh !== undefined && path === opts.config.bosh.path) {
    opts.bosh.serve(req, res, {
      ip: clientAddress(req, trustedProxies),
      port: req.socket.remotePort,
      tls: opts.kind === 'wss',
      secure: opts.kind === 'wss' || opts.config.websocket.plainIsSecure,
      host: hostFromHeader(req.headers.host),
    });
    return;
  }
  const hostMeta = path === HOST_META_PATH || path === HOST_META_JSON_PATH;
  if (hostMeta) {
    // XEP-0156 section 3: readable by web clients on any origin.
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS' }).end();
      return;
    }
  }
  if (method !== 'GET' && method !== 'HEAD') {
    text(res, method, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  if (hostMeta) {
    const host = hostFromHeader(req.headers.host);
    const urls = endpointUrls(opts.config, opts.ports, host);
    const bosh = opts.bosh?.urls(host) ?? [];
    const json = path === HOST_META_JSON_PATH;
    const body = json ? hostMetaJson(urls, bosh) : hostMetaXml(urls, bosh);
    res.writeHead(200, {
      'Content-Type': json ? 'application/json' : 'application/xrd+xml; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'max-age=300',
    });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === opts.config.websocket.path) {
    text(res, method, 426, 'XMPP over WebSocket (RFC 7395): upgrade to a WebSocket\n', {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
    });
    return;
  }
  text(res, method, 404, 'not found\n');
}

function text(
  res: ServerResponse,
  method: string,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Tokens of Sec-WebSocket-Protocol (possibly repeated, comma-separated). */
function subprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** No Origin (not a browser) or no allow-list: allowed; otherwise an exact match. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.length === 0) return true;
  const o = origin.trim().toLowerCase();
  return allowed.some((a) => a.toLowerCase() === o);
}

/**
 * The client's address: the peer, or, when the peer is a trusted reverse
 * proxy, the right-most X-Forwarded-For entry that is not one (the ones
 * further left are the client's to make up).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: TrustedAddresses): string {
  const peer = remoteIp(req.socket);
  if (!trustedProxies.has(peer)) return peer;
  const raw = req.headers['x-forwarded-for'];
  if (raw === undefined) return peer;
  const header = Array.isArray(raw) ? raw.join(',') : raw;
  const hops = header.split(',').map((h) => unmapIp(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}

/** Answers a handshake with an HTTP error and closes (as `ws` does for its own refusals). */
function abort(socket: Duplex, status: number, reason: string, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** How often Node's HTTP server checks headersTimeout and requestTimeout (its default: 30 s). */
const CHECK_INTERVAL_MS = 1_000;

/**
 * The per-address count of a listener's connections before their first
 * request: from the TCP accept (through the TLS handshake on wss://) they
 * are unauthenticated connections of the peer's address, evicted with a
 * plain close at the cap. The first request ends that: a WebSocket upgrade
 * takes a new slot for the client's address (X-Forwarded-For behind a
 * trusted proxy, keeping the accept time for c2s.connectTimeoutMs), a BOSH
 * session takes one when it is created, and plain HTTP requests live under
 * the server's own timeouts. Connections from trusted proxies are counted
 * only once their client is known.
 */
function trackAccepted(limits: AddressLimits, trustedProxies: TrustedAddresses) {
  /** By peer address and port, which the raw socket and its TLSSocket share. */
  const pending = new Map<string, { slot: AddressSlot | undefined; at: number }>();
  return {
    onConnection(raw: Socket): void {
      const key = peerKey(raw);
      const peer = remoteIp(raw);
      const slot = trustedProxies.has(peer) ? undefined : limits.open(peer, () => raw.destroy());
      const entry = { slot, at: slot?.acceptedAt ?? Date.now() };
      pending.set(key, entry);
      raw.once('close', () => {
        if (slot !== undefined) limits.release(slot);
        if (pending.get(key) === entry) pending.delete(key);
      });
    },
    /** Ends the count of `socket` (once); returns when it was accepted. */
    firstRequest(socket: Socket): number {
      const key = peerKey(socket);
      const entry = pending.get(key);
      if (entry === undefined) return Date.now();
      pending.delete(key);
      if (entry.slot !== undefined) limits.release(entry.slot);
      return entry.at;
    },
  };
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

function ignore(): void {}
