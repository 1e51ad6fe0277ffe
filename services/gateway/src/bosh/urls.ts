/**
 * The BOSH endpoint URLs: announced by XEP-0156 host-meta next to the
 * WebSocket ones (`urn:xmpp:alt-connections:xbosh`), and where a client
 * that needs TLS is sent (`see-other-uri`).
 */
import type { Config } from '@parley/config';
import type { WebSocketPorts } from '../websocket/host-meta.js';

function endpoint(scheme: 'http' | 'https', host: string, port: number, path: string): string {
  const standard = scheme === 'http' ? 80 : 443;
  return `${scheme}://${host}${port === standard ? '' : `:${port}`}${path}`;
}

/**
 * `bosh.publicUrls` when set; otherwise https:// on the TLS listener and,
 * when plain streams may log in here, http:// on the plain one, on the host
 * the client asked for (else the first served domain). None when BOSH is off.
 */
export function boshUrls(
  config: Config,
  ports: WebSocketPorts,
  host: string | undefined,
): string[] {
  const bosh = config.bosh;
  if (!bosh.enabled) return [];
  if (bosh.publicUrls.length > 0) return [...bosh.publicUrls];
  const h = host ?? config.server.domains[0] ?? 'localhost';
  const urls: string[] = [];
  if (ports.websocketTls !== undefined)
    urls.push(endpoint('https', h, ports.websocketTls, bosh.path));
  if (ports.websocket !== undefined && (config.websocket.plainIsSecure || !config.c2s.requireTls)) {
    urls.push(endpoint('http', h, ports.websocket, bosh.path));
  }
  return urls;
}

/** The https:// endpoint for a client on http:// when TLS is required; undefined without one. */
export function secureBoshUrl(
  config: Config,
  ports: WebSocketPorts,
  host: string | undefined,
): string | undefined {
  const bosh = config.bosh;
  const configured = bosh.publicUrls.find((u) => u.startsWith('https://'));
  if (configured !== undefined) return configured;
  if (bosh.publicUrls.length > 0 || ports.websocketTls === undefined || host === undefined) {
    return undefined;
  }
  return endpoint('https', host, ports.websocketTls, bosh.path);
}
