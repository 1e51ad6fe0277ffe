/**
 * XMPP over BOSH (XEP-0124, XEP-0206): the `bosh` section. BOSH is served
 * on the WebSocket listeners (same ports, another path); see docs/bosh.md.
 */
export interface BoshConfig {
  /** Serve BOSH on the WebSocket listeners (needs websocket.enabled). */
  enabled: boolean;
  /** HTTP path of the BOSH endpoint. */
  path: string;
  /** Longest time a request is held (the client's `wait` is capped to it). */
  maxWaitMs: number;
  /** A session with no request held for this long is a lost connection. */
  maxInactivityMs: number;
  /** Most requests held at once (the client's `hold` is capped to it). */
  maxHold: number;
  /** Longest pause a client may ask for (`maxpause`); 0 = no pause. */
  maxPauseMs: number;
  /** Shortest interval between two empty requests of a polling session (`polling`). */
  pollingMs: number;
  /** Largest HTTP request body. */
  maxRequestBytes: number;
  /** Browser origins allowed to use BOSH (CORS); empty = any. */
  allowedOrigins: string[];
  /** Endpoint URLs announced by XEP-0156 host-meta; empty = derived from the request. */
  publicUrls: string[];
}
