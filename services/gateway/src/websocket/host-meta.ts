/**
 * XEP-0156 discovery of the WebSocket endpoint: `/.well-known/host-meta`
 * (RFC 6415 XRD) and `/.well-known/host-meta.json` (JRD), each listing the
 * endpoint URLs under `urn:xmpp:alt-connections:websocket` (and the BOSH
 * ones, bosh/urls.ts, under `urn:xmpp:alt-connections:xbosh`). Also which
 * URLs those are, and where to send a ws:// client that needs TLS.
 */
import { isIP } from 'node:net';
import type { Config } from '@parley/config';
import { escapeAttr } from '@parley/xml';

export const REL_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';
export const HOST_META_PATH = '/.well-known/host-meta';
export const HOST_META_JSON_PATH = '/.well-known/host-meta.json';
const NS_XRD = 'http://docs.oasis-open.org/ns/xri/xrd-1.0';

/** Bound ports of the WebSocket listeners (undefined: not running). */
export interface WebSocketPorts {
  websocket?: number;
  websocketTls?: number;
}

/** XEP-0156 / XEP-0206: BOSH endpoints, listed after the WebSocket ones. */
export const REL_XBOSH = 'urn:xmpp:alt-connections:xbosh';

function links(
  urls: readonly string[],
  boshUrls: readonly string[],
): { rel: string; href: string }[] {
  return [
    ...urls.map((href) => ({ rel: REL_WEBSOCKET, href })),
    ...boshUrls.map((href) => ({ rel: REL_XBOSH, href })),
  ];
}

export function hostMetaXml(urls: readonly string[], boshUrls: readonly string[] = []): string {
  const lines = links(urls, boshUrls).map(
    (l) => `  <Link rel="${l.rel}" href="${escapeAttr(l.href)}"/>\n`,
  );
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='${NS_XRD}'>\n${lines.join('')}</XRD>\n`;
}

export function hostMetaJson(urls: readonly string[], boshUrls: readonly string[] = []): string {
  return JSON.stringify({ links: links(urls, boshUrls) });
}

/**
 * The host part of a Host header (`example.org:5291` -> `example.org`,
 * `[::1]:80` -> `[::1]`), or undefined when it is not a plausible host name
 * or address (the header is the client's and ends up in our answers).
 */
export function hostFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^(\[[0-9a-f:.]+\])(?::\d{1,5})?$/.exec(h);
  if (v6 !== null) return isIP(v6[1]!.slice(1, -1)) === 6 ? v6[1] : undefined;
  const m =
    /^([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*)\.?(?::\d{1,5})?$/.exec(
      h,
    );
  return m === null || m[1]!.length > 253 ? undefined : m[1];
}

function endpoint(scheme: 'ws' | 'wss', host: string, port: number, path: string): string {
  const standard = scheme === 'ws' ? 80 : 443;
  return `${scheme}://${host}${port === standard ? '' : `:${port}`}${path}`;
}

/**
 * The endpoint URLs to announce: `websocket.publicUrls` when set; otherwise
 * wss:// on the TLS listener and, when plain streams may log in here (ws://
 * declared secure, or TLS not required), ws:// on the plain one, both on the
 * host the client asked for (`host`, else the first served domain).
 */
export function endpointUrls(
  config: Config,
  ports: WebSocketPorts,
  host: string | undefined,
): string[] {
  const ws = config.websocket;
  if (ws.publicUrls.length > 0) return [...ws.publicUrls];
  const h = host ?? config.server.domains[0] ?? 'localhost';
  const urls: string[] = [];
  if (ports.websocketTls !== undefined) urls.push(endpoint('wss', h, ports.websocketTls, ws.path));
  if (ports.websocket !== undefined && (ws.plainIsSecure || !config.c2s.requireTls)) {
    urls.push(endpoint('ws', h, ports.websocket, ws.path));
  }
  return urls;
}

/**
 * Where a ws:// client goes when TLS is required (RFC 7395 3.6.1, moving to
 * a more secure endpoint): the first wss:// public URL, else the wss://
 * listener on the host the client asked for; undefined without either.
 */
export function secureEndpoint(
  config: Config,
  ports: WebSocketPorts,
  host: string | undefined,
): string | undefined {
  const ws = config.websocket;
  const configured = ws.publicUrls.find((u) => u.startsWith('wss://'));
  if (configured !== undefined) return configured;
  if (ws.publicUrls.length > 0 || ports.websocketTls === undefined || host === undefined) {
    return undefined;
  }
  return endpoint('wss', host, ports.websocketTls, ws.path);
}
