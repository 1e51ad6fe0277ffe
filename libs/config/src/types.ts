import type { Field } from './schema.js';

export type SaslMechanismName =
  'SCRAM-SHA-1' | 'SCRAM-SHA-1-PLUS' | 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS' | 'PLAIN';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

/** The complete, validated configuration shared by every Parley service. */
export interface Config {
  server: {
    /** XMPP domains served by this cluster. */
    domains: string[];
    /** Directory for local state (LMDB store, generated certificates). */
    dataDir: string;
    /** Unique id of this process within the cluster. */
    nodeId: string;
  };
  c2s: {
    /** STARTTLS client port; 0 picks an ephemeral port (tests). */
    port: number;
    host: string;
    /** Port for direct TLS (XEP-0368); 0 disables it. */
    directTlsPort: number;
    requireTls: boolean;
    /** Allow PLAIN authentication on unencrypted streams (loopback benchmarks only). */
    allowPlainWithoutTls: boolean;
    maxStanzaBytes: number;
    /** The stream must be authenticated within this time. */
    connectTimeoutMs: number;
    /** Close streams idle for this long; 0 = off. */
    idleTimeoutMs: number;
    whitespaceKeepaliveMs: number;
    /** 0 = unlimited. */
    maxConnectionsPerIp: number;
    /** Base delay after a failed authentication; doubles per failure per IP. */
    authFailureDelayMs: number;
    /** Cap for the authentication failure delay. */
    authFailureMaxDelayMs: number;
  };
  /** XEP-0198 Stream Management. */
  sm: {
    enabled: boolean;
    /** How long a dropped resumable session waits for its client to resume. */
    resumeTimeoutMs: number;
    /** Unacknowledged stanzas kept per session; more ends the stream. */
    maxQueue: number;
    /** Request an ack after this many unacknowledged outbound stanzas. */
    ackRequestEvery: number;
  };
  /** XEP-0352 Client State Indication. */
  csi: {
    enabled: boolean;
    /** Stanzas held for an inactive client before they are flushed anyway. */
    maxQueued: number;
  };
  tls: {
    /** PEM certificate chain; when absent a self-signed cert is generated into dataDir. */
    certFile?: string;
    keyFile?: string;
  };
  sasl: {
    mechanisms: SaslMechanismName[];
    scramIterations: number;
  };
  registration: {
    /** In-band registration (XEP-0077). */
    enabled: boolean;
    allowWithoutTls: boolean;
  };
  offline: {
    maxPerUser: number;
  };
  routing: {
    partitions: number;
  };
  bus: {
    kind: 'memory' | 'nats';
    natsUrl: string;
  };
  redis: {
    url: string;
  };
  store: {
    kind: 'memory' | 'lmdb';
  };
  http: {
    /** Metrics and health endpoint port; 0 = off. */
    port: number;
    host: string;
  };
  log: {
    level: LogLevelName;
  };
  modules: {
    version: {
      name: string;
      showOs: boolean;
    };
  };
}

/** Recursively optional; arrays are replaced as a whole. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A schema node mirroring the shape of `T`: sections are objects, leaves are fields. */
export type SchemaFor<T> = {
  readonly [K in keyof T]-?: T[K] extends readonly unknown[]
    ? Field<T[K]>
    : NonNullable<T[K]> extends object
      ? SchemaFor<T[K]>
      : object extends Pick<T, K>
        ? Field<T[K] | undefined>
        : Field<T[K]>;
};
