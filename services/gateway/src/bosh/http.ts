/**
 * The HTTP side of BOSH, on the WebSocket listeners (websocket/server.ts
 * hands over requests for `bosh.path`): POST bodies in, `<body/>`
 * responses out as `text/xml; charset=utf-8`, CORS for web pages on
 * allowed origins (the rule of `websocket.allowedOrigins`), a size limit
 * on request bodies. Every error a client can cause is answered with a
 * XEP-0124 terminal condition in an HTTP 200 (section 17.2), never a throw.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import { originAllowed } from '../websocket/server.js';
import { isTerminal, terminate } from './protocol.js';
import type { BoshClient, BoshService } from './service.js';
import type { Responder } from './session.js';

const XML_TYPE = 'text/xml; charset=utf-8';

export interface BoshHttpClient {
  ip: string;
  port: number | undefined;
  /** Came in on the TLS (https://) listener. */
  tls: boolean;
  /** Over TLS, or over http:// declared secure (websocket.plainIsSecure). */
  secure: boolean;
  host: string | undefined;
}

export function serveBoshHttp(
  service: BoshService,
  config: Config,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  client: BoshHttpClient,
): void {
  const method = req.method ?? 'GET';
  const origin = req.headers.origin;
  const { allowedOrigins, maxRequestBytes } = config.bosh;
  if (!originAllowed(origin, allowedOrigins)) {
    logger.info('BOSH request refused: origin not allowed', { ip: client.ip, origin });
    plain(res, method, 403, 'this origin may not use this endpoint\n');
    return;
  }
  const cors: Record<string, string> =
    origin === undefined
      ? {}
      : allowedOrigins.length === 0
        ? { 'Access-Control-Allow-Origin': '*' }
        : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (method === 'OPTIONS') {
    res
      .writeHead(204, {
        ...cors,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '86400',
      })
      .end();
    return;
  }
  if (method !== 'POST') {
    plain(res, method, 405, 'XMPP over BOSH (XEP-0206): POST a <body/> here\n', {
      ...cors,
      Allow: 'POST, OPTIONS',
    });
    return;
  }
  const respond = (body: string, close = false): void => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, {
      ...cors,
      'Content-Type': XML_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      ...(close && { Connection: 'close' }),
    });
    res.end(body);
  };
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxRequestBytes) {
    tooLarge(req, respond);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (over) {
      // Answered already; a client that goes on sending much more is cut off.
      if (size > 4 * maxRequestBytes) req.socket.destroy();
      return;
    }
    if (size > maxRequestBytes) {
      over = true;
      chunks.length = 0;
      tooLarge(req, respond);
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (over) return;
    const responder: Responder = {
      // The session is over: no reason to keep its connection open (nor to delay a shutdown).
      respond: (body) => respond(body, isTerminal(body)),
      abandon: () => res.destroy(),
    };
    const text = decode(Buffer.concat(chunks, size));
    if (text === undefined) {
      respond(terminate('bad-request'));
      return;
    }
    const from: BoshClient = { ...client, forwarded: false };
    try {
      service.handle(text, from, responder);
    } catch (err) {
      logger.error('BOSH request failed', { ip: client.ip, err });
      respond(terminate('internal-server-error'));
    }
  });
}

/** Bigger than bosh.maxRequestBytes: refused without reading it, and the connection closed. */
function tooLarge(req: IncomingMessage, respond: (body: string, close?: boolean) => void): void {
  respond(terminate('policy-violation'), true);
  req.resume();
}

/** The body as UTF-8 (the only encoding XEP-0124 requires); undefined when it is not. */
function decode(buf: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}

function plain(
  res: ServerResponse,
  method: string,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(method === 'HEAD' ? undefined : text);
}
