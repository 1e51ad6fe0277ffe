/**
 * Federation: server-to-server streams (RFC 6120, XEP-0220 dialback,
 * XEP-0288, XEP-0368) in the `s2s` section, and external components
 * (XEP-0114) in the `components` section.
 */

export interface S2sConfig {
  /** Run the S2S service: listen for remote servers and route remote domains to them. */
  enabled: boolean;
  host: string;
  /** STARTTLS port (5269); 0 picks an ephemeral port (tests). */
  port: number;
  /** Direct TLS port (XEP-0368, 5270); 0 = off. */
  directTlsPort: number;
  /** Number of S2S partitions (remote domains are sharded over them); the same on every node. */
  partitions: number;
  /** Streams must be encrypted (STARTTLS or direct TLS) in both directions. */
  requireTls: boolean;
  /** Only peers with a valid certificate for their domain (SASL EXTERNAL) are accepted: no dialback. */
  secureAuth: boolean;
  /** PEM CA bundle that peer certificates must chain to; unset = Node's bundled roots. */
  trustStoreFile?: string;
  /** XEP-0185 dialback secret, the same on every node; unset = random per process (single node). */
  dialbackSecret?: string;
  dialbackSecretFile?: string;
  /** DNS servers (`host` or `host:port`) for SRV and address lookups; empty = the system's. */
  resolvers: string[];
  /** Static routes `domain=host:port` (or `domain=tls://host:port` for direct TLS) that skip DNS. */
  overrides: string[];
  /** When non-empty, only these remote domains are federated with. */
  allow: string[];
  /** Remote domains never federated with. */
  deny: string[];
  /** Connection setup (DNS, TCP, TLS, authentication) must finish within this. */
  connectTimeoutMs: number;
  /** Streams without traffic for this long are closed; 0 = never. */
  idleTimeoutMs: number;
  /** Stanzas queued per remote domain while its connection is being set up; more are bounced. */
  queueMax: number;
  /** Inbound streams accepted per remote domain. */
  maxStreamsPerDomain: number;
  /** Inbound stanzas per second per remote domain (sustained); 0 = unlimited. */
  stanzasPerSecond: number;
  /** After a failed connection, stanzas to that domain are bounced at once for this long. */
  retryAfterMs: number;
  maxStanzaBytes: number;
}

/** One external component (XEP-0114): its domain and shared secret. */
export interface ComponentConfig {
  domain: string;
  secret: string;
}

export interface ComponentsConfig {
  /** Port for XEP-0114 component connections; 0 = off. */
  port: number;
  host: string;
  /** Components allowed to connect. */
  list: ComponentConfig[];
}
