/** Schema of the keys in bosh-types.ts: the `bosh` section (XEP-0124, XEP-0206), and its checks. */
import type { BoshConfig } from './bosh-types.js';
import { ConfigError } from './errors.js';
import { bool, durationMs, int, list, show, str } from './schema.js';
import type { Config, SchemaFor } from './types.js';

export const boshSchema: SchemaFor<BoshConfig> = {
  enabled: bool({
    default: false,
    doc: 'Serve XMPP over BOSH (XEP-0124, XEP-0206) for web clients that cannot use WebSocket, on the WebSocket listeners (so websocket.enabled must be true) at bosh.path, announced by XEP-0156 host-meta. A session lives on one gateway; a request reaching another gateway of the cluster is forwarded to it over the bus (docs/bosh.md).',
  }),
  path: str({
    default: '/http-bind',
    doc: 'HTTP path of the BOSH endpoint (must start with /, and differ from websocket.path).',
  }),
  maxWaitMs: durationMs({
    min: 1000,
    max: 300_000,
    default: 60_000,
    doc: "Longest time the server holds a request before answering it with an empty body; a client's larger 'wait' is lowered to it (whole seconds).",
  }),
  maxInactivityMs: durationMs({
    min: 1000,
    max: 3_600_000,
    default: 60_000,
    doc: "A session with no request held for this long is taken as a lost connection (announced as 'inactivity'): a resumable XEP-0198 session waits for resumption, any other ends with unavailable presence, as when a TCP connection drops.",
  }),
  maxHold: int({
    min: 1,
    max: 10,
    default: 1,
    doc: "Most requests the server holds at once for one session; a client's larger 'hold' is lowered to it. 'requests' is announced as hold + 1.",
  }),
  maxPauseMs: durationMs({
    min: 0,
    max: 3_600_000,
    default: 120_000,
    doc: "Longest pause a client may ask for ('maxpause', e.g. while a page reloads); 0 = pausing is not offered.",
  }),
  pollingMs: durationMs({
    min: 0,
    max: 60_000,
    default: 2_000,
    doc: "Shortest interval between two empty requests of a polling session (hold 0), announced as 'polling' (whole seconds); polling faster ends the session with policy-violation. 0 = no limit.",
  }),
  maxRequestBytes: int({
    min: 1024,
    max: 67_108_864,
    default: 1_048_576,
    doc: 'Largest HTTP request body in bytes (at least c2s.maxStanzaBytes); a bigger one is refused with policy-violation. Each element inside is also held to the stream limits (c2s.maxPreAuthStanzaBytes, c2s.maxStanzaBytes).',
  }),
  allowedOrigins: list(str({ default: '', doc: 'origin' }), {
    default: [],
    doc: 'Origins (e.g. https://chat.example.org) whose web pages may use the BOSH endpoint through CORS; others get HTTP 403. Empty = any. Requests without an Origin header (non-browser clients) are always allowed. The same rule as websocket.allowedOrigins.',
  }),
  publicUrls: list(str({ default: '', doc: 'url' }), {
    default: [],
    doc: 'http:// or https:// BOSH URLs announced by XEP-0156 host-meta. Empty = derived from the Host header of the request and the listener ports. Set it behind a reverse proxy.',
  }),
};

function invalid(key: string, message: string): ConfigError {
  return new ConfigError('invalid-value', `${key}: ${message}`, { key });
}

/** The bosh section: path, URLs, origins, and what it needs from the rest. */
export function checkBosh(config: Config): void {
  const bosh = config.bosh;
  if (!bosh.path.startsWith('/') || /[\s?#]/.test(bosh.path)) {
    throw invalid(
      'bosh.path',
      `must be an absolute URL path such as /http-bind, got ${show(bosh.path)}`,
    );
  }
  for (const url of bosh.publicUrls) {
    if (!/^https?:\/\/[^/\s]+/.test(url) || !URL.canParse(url)) {
      throw invalid('bosh.publicUrls', `expected http:// or https:// URLs, got ${show(url)}`);
    }
  }
  for (const origin of bosh.allowedOrigins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin.toLowerCase()) {
      throw invalid(
        'bosh.allowedOrigins',
        `expected origins such as https://chat.example.org (scheme, host and optional port only), got ${show(origin)}`,
      );
    }
  }
  if (!bosh.enabled) return;
  if (!config.websocket.enabled) {
    throw invalid(
      'bosh.enabled',
      'BOSH is served on the WebSocket listeners: set websocket.enabled too (and websocket.listeners, ports)',
    );
  }
  if (bosh.path === config.websocket.path) {
    throw invalid('bosh.path', `must differ from websocket.path (${show(bosh.path)})`);
  }
  if (bosh.maxRequestBytes < config.c2s.maxStanzaBytes) {
    throw invalid(
      'bosh.maxRequestBytes',
      `must be at least c2s.maxStanzaBytes (${config.c2s.maxStanzaBytes}), got ${bosh.maxRequestBytes}`,
    );
  }
}
