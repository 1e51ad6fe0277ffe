/**
 * Connection limits of the client gateway (issue 15): per-address caps,
 * the TLS handshake timeout and the idle probe. Part of the `c2s` section;
 * see docs/security.md, "Connection limits".
 */
export interface C2sLimitsConfig {
  /**
   * Unauthenticated connections per client address (IPv6: its /64); at the
   * cap the oldest one is closed to make room. 0 = unlimited.
   */
  maxUnauthenticatedPerAddress: number;
  /** Authenticated sessions per client address (IPv6: its /64); more logins are refused. 0 = unlimited. */
  maxSessionsPerAddress: number;
  /** A TLS handshake (direct TLS, wss://, STARTTLS) must complete within this time. */
  tlsHandshakeTimeoutMs: number;
  /** After the idle probe (c2s.idleTimeoutMs), how long the client has to answer; 0 = close without probing. */
  idleProbeTimeoutMs: number;
}
