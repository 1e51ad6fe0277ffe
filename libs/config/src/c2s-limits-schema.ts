/** Schema of the keys in c2s-limits-types.ts; spread into the `c2s` section. */
import type { C2sLimitsConfig } from './c2s-limits-types.js';
import { durationMs, int } from './schema.js';
import type { SchemaFor } from './types.js';

export const c2sLimitsSchema: SchemaFor<C2sLimitsConfig> = {
  maxUnauthenticatedPerAddress: int({
    min: 0,
    max: 1_000_000,
    default: 100,
    doc: 'Connections from one client address (IPv6: its /64) that have not authenticated yet, counted from the TCP accept (TLS handshake, STARTTLS, WebSocket upgrade, BOSH session creation included) until SASL success. At the cap the oldest of them is closed (policy-violation) to make room, so a newcomer is never refused. Per gateway; 0 = unlimited. docs/security.md, "Connection limits".',
  }),
  maxSessionsPerAddress: int({
    min: 0,
    max: 10_000_000,
    default: 10_000,
    doc: 'Authenticated sessions from one client address (IPv6: its /64), high for users behind carrier-grade or corporate NAT. A login beyond it gets a policy-violation stream error after its SASL exchange; sessions already open are never closed for it. Per gateway; 0 = unlimited.',
  }),
  tlsHandshakeTimeoutMs: durationMs({
    min: 1,
    max: 600_000,
    default: 10_000,
    doc: 'A TLS handshake (direct TLS port, wss:// listener, STARTTLS) must complete within this time, or the connection is closed. The whole negotiation up to authentication is also bounded by c2s.connectTimeoutMs, counted from the TCP accept.',
  }),
  idleProbeTimeoutMs: durationMs({
    min: 0,
    max: 3_600_000,
    default: 60_000,
    doc: 'After c2s.idleTimeoutMs without input the server probes the client (an XEP-0198 ack request, else an XEP-0199 ping); a stream that still sends nothing within this time is closed with connection-timeout (a resumable session detaches). 0 = close at c2s.idleTimeoutMs without probing.',
  }),
};
