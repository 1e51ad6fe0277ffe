import type { PostgresStoreConfig } from './postgres-config.js';
import type { Field } from './schema.js';
import type { ContactConfig } from './contact-types.js';
import type { ExtdiscoConfig } from './extdisco-types.js';
import type { ComponentsConfig, S2sConfig } from './federation-types.js';
import type { CassandraTlsConfig, NatsSecurityConfig, RedisConfig } from './security-types.js';
import type { UploadConfig } from './upload-types.js';
import type { QuotasConfig } from './quotas-types.js';
import type { PushConfig } from './push-types.js';
import type { BoshConfig } from './bosh-types.js';
import type { FastConfig, Sasl2Config } from './sasl2-types.js';
import type { OpsConfig } from './ops-types.js';
import type { InvitationsConfig } from './invitations-types.js';
import type { C2sLimitsConfig } from './c2s-limits-types.js';
import type { LoginLimitsConfig, RegistrationLimitsConfig } from './login-limits-types.js';
import type { ShaperConfig } from './shaper-types.js';

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
  c2s: C2sLimitsConfig & {
    /** STARTTLS client port; 0 picks an ephemeral port (tests). */
    port: number;
    host: string;
    /** Port for direct TLS (XEP-0368); 0 disables it. */
    directTlsPort: number;
    requireTls: boolean;
    /** Allow PLAIN authentication on unencrypted streams (loopback benchmarks only). */
    allowPlainWithoutTls: boolean;
    maxStanzaBytes: number;
    /** Largest element before authentication (then maxStanzaBytes). */
    maxPreAuthStanzaBytes: number;
    /** The stream must be authenticated within this time. */
    connectTimeoutMs: number;
    /** Probe streams that sent nothing for this long, close them if the probe goes unanswered; 0 = off. */
    idleTimeoutMs: number;
    whitespaceKeepaliveMs: number;
    /** Base delay after a failed authentication; doubles per failure per IP. */
    authFailureDelayMs: number;
    /** Cap for the authentication failure delay. */
    authFailureMaxDelayMs: number;
    /** Read a PROXY protocol header (v1/v2) on the TCP and direct TLS ports; mandatory when on. */
    proxyProtocol: boolean;
    /** IP addresses and CIDR ranges allowed to send PROXY headers; others are refused. */
    proxyTrustedAddresses: string[];
    /** A PROXY header must be complete within this time. */
    proxyHeaderTimeoutMs: number;
    /** XEP-0388 SASL2 with Bind2 (docs/authentication.md). */
    sasl2: Sasl2Config;
    /** XEP-0484 FAST tokens (docs/authentication.md). */
    fast: FastConfig;
    /** Login throttling and address refusal (docs/security.md). */
    loginLimits: LoginLimitsConfig;
    /** Output waiting for a client beyond which it is taken as not reading (closed). */
    maxPendingOutputBytes: number;
  };
  /** XEP-0198 Stream Management. */
  sm: {
    enabled: boolean;
    /** How long a dropped resumable session waits for its client to resume. */
    resumeTimeoutMs: number;
    /** How long a resumption waits for the registry's takeover answer. */
    takeoverTimeoutMs: number;
    /** Unacknowledged stanzas kept per session; more ends the stream. */
    maxQueue: number;
    /** Size (serialized characters) of the unacknowledged stanzas kept per session; more ends the stream. */
    maxQueueBytes: number;
    /** Request an ack after this many unacknowledged outbound stanzas. */
    ackRequestEvery: number;
  };
  /** XEP-0352 Client State Indication. */
  csi: {
    enabled: boolean;
    /** Stanzas held for an inactive client before they are flushed anyway. */
    maxQueued: number;
    /** Size (serialized characters) of the stanzas held before they are flushed anyway. */
    maxQueuedBytes: number;
  };
  /** Traffic shaping of client input (docs/security.md). */
  shaper: ShaperConfig;
  /** XMPP over WebSocket (RFC 7395) and XEP-0156 discovery. */
  websocket: {
    enabled: boolean;
    /** Which listeners run: plain `ws` on `port`, `wss` (TLS) on `tlsPort`. */
    listeners: ('ws' | 'wss')[];
    /** ws:// port; 0 picks an ephemeral port (tests). */
    port: number;
    host: string;
    /** wss:// port; 0 picks an ephemeral port (tests). */
    tlsPort: number;
    tlsHost: string;
    /** HTTP path of the WebSocket endpoint. */
    path: string;
    /** Treat ws:// streams as encrypted (TLS terminated by a reverse proxy in front). */
    plainIsSecure: boolean;
    /** Browser origins allowed to connect; empty = any. */
    allowedOrigins: string[];
    /** Reverse proxies (IP addresses, CIDR ranges) whose X-Forwarded-For names the client address. */
    trustedProxies: string[];
    /** WebSocket ping after this much inbound silence; unanswered for as long again, the connection is dropped. 0 = off. */
    pingIntervalMs: number;
    /** Endpoint URLs announced by XEP-0156 host-meta; empty = derived from the request. */
    publicUrls: string[];
  };
  /** XMPP over BOSH (XEP-0124, XEP-0206) on the WebSocket listeners (docs/bosh.md). */
  bosh: BoshConfig;
  tls: {
    /** PEM certificate chain; when absent a self-signed cert is generated into dataDir. */
    certFile?: string;
    keyFile?: string;
  };
  sasl: {
    mechanisms: SaslMechanismName[];
    scramIterations: number;
    /**
     * Secret of the fake SCRAM salts of unknown users; the same on every
     * gateway of a cluster (inline, or the file holding it).
     */
    fakeSaltSecret?: string;
    fakeSaltSecretFile?: string;
  };
  registration: RegistrationLimitsConfig & {
    /** In-band registration (XEP-0077). */
    enabled: boolean;
    allowWithoutTls: boolean;
    /** Invitation-only registration (XEP-0401/0445/0379; docs/registration.md). */
    invitations: InvitationsConfig;
  };
  offline: {
    maxPerUser: number;
    /** Bytes of one user's offline messages together; 0 = no byte bound. */
    maxBytesPerUser: number;
  };
  routing: {
    partitions: number;
  };
  bus: {
    kind: 'memory' | 'nats';
    natsUrl: string;
    durable: 'direct' | 'jetstream';
    /** Authentication and TLS of the NATS connection (docs/security.md). */
    nats: NatsSecurityConfig;
  };
  redis: RedisConfig;
  store: {
    kind: 'memory' | 'lmdb' | 'postgres' | 'cassandra';
    /** The PostgreSQL database used when `kind` is 'postgres' (and by `xmppctl postgres migrate`). */
    postgres: PostgresStoreConfig;
    /** The Cassandra cluster used when `kind` is 'cassandra' (and by `xmppctl cassandra migrate`). */
    cassandra: {
      /** `host` or `host:port` of one or more nodes. */
      contactPoints: string[];
      /** Datacenter of this process; requests go to its nodes only. */
      localDataCenter: string;
      keyspace: string;
      username?: string;
      password?: string;
      /** File holding the password (a mounted Secret); exclusive with `password`. */
      passwordFile?: string;
      /** TLS to the Cassandra nodes (cassandra-driver `sslOptions`). */
      tls: CassandraTlsConfig;
      consistency: 'localQuorum' | 'quorum' | 'eachQuorum' | 'localOne' | 'one' | 'all';
      serialConsistency: 'localSerial' | 'serial';
      /** Replication of the keyspace when `xmppctl cassandra migrate --create-keyspace` creates it. */
      replicationClass: 'NetworkTopologyStrategy' | 'SimpleStrategy';
      replicationFactor: number;
    };
  };
  http: {
    /** Metrics and health endpoint port; 0 = off. */
    port: number;
    host: string;
  };
  log: {
    level: LogLevelName;
  };
  /** OpenTelemetry tracing (SDK + OTLP exporter), off by default. */
  tracing: {
    enabled: boolean;
    otlpEndpoint: string | undefined;
    samplePercent: number;
  };
  /** XEP-0045 Multi-User Chat: the service `<subdomain>.<domain>` of every served domain. */
  muc: {
    enabled: boolean;
    subdomain: string;
    /** Name of the service in disco#info. */
    name: string;
    /** Number of MUC partitions (rooms are sharded by their bare JID); the same on every node. */
    partitions: number;
    /** Bare JIDs that are owners of every room. */
    admins: string[];
    /** New rooms created with the MUC protocol stay locked until the owner configures them. */
    lockNewRooms: boolean;
    /** Rooms one user may have created and that still exist; 0 = unlimited. */
    maxRoomsPerUser: number;
    /** Upper bound of a room's discussion history length. */
    maxHistory: number;
    /** Upper bound of a room's maximum number of occupants. */
    maxUsers: number;
    /** XEP-0313 queries on room archives: largest and default page size. */
    mamMaxPageSize: number;
    mamDefaultPageSize: number;
    /** Configuration of a new room (the owner may change it). */
    roomDefaults: {
      persistent: boolean;
      public: boolean;
      membersOnly: boolean;
      moderated: boolean;
      whois: 'moderators' | 'anyone';
      historyLength: number;
      maxUsers: number;
      allowInvites: boolean;
      changeSubject: boolean;
      allowPm: 'anyone' | 'participants' | 'moderators' | 'none';
      logging: boolean;
    };
  };
  /** XEP-0313 Message Archive Management for users' archives. */
  mam: {
    enabled: boolean;
    /** Archiving default of accounts that set no preferences (XEP-0441). */
    defaultPolicy: 'always' | 'roster' | 'never';
    /** Largest and default page size of a query. */
    maxPageSize: number;
    defaultPageSize: number;
    /** Answer queries with RSM <count/> and <first index/>. */
    includeCount: boolean;
  };
  /** XEP-0060 publish-subscribe: the pubsub.<domain> service and PEP (XEP-0163) nodes. */
  pubsub: {
    /** Serve a pubsub service on <subdomain>.<domain> for every served domain. */
    enabled: boolean;
    subdomain: string;
    /** Largest max_items of a node; also what max_items 'max' means. */
    maxItems: number;
    /** max_items of new PEP nodes. */
    pepDefaultMaxItems: number;
    /** max_items of new nodes on the pubsub service. */
    serviceDefaultMaxItems: number;
    /** Largest item payload, vCard or private XML element accepted, in bytes. */
    maxPayloadBytes: number;
  };
  modules: {
    /** Server modules switched off by name. */
    disabled: string[];
    version: {
      name: string;
      showOs: boolean;
    };
  };
  /** The server's contact addresses (XEP-0157), advertised in service discovery. */
  contact: ContactConfig;
  /** External services (XEP-0215): STUN/TURN servers for calls. */
  extdisco: ExtdiscoConfig;
  /** Federation with other XMPP servers (services/s2s). */
  s2s: S2sConfig;
  /** External components (XEP-0114). */
  components: ComponentsConfig;
  /** Per-account limits and quotas (docs/security.md). */
  quotas: QuotasConfig;
  /** XEP-0363 HTTP File Upload (docs/upload.md). */
  upload: UploadConfig;
  /** XEP-0357 Push Notifications and the built-in push service (docs/push.md). */
  push: PushConfig;
  /** Who may read /metrics and the API reference, and where (docs/security.md). */
  ops: OpsConfig;
  /** The admin REST API (services/admin-api). */
  admin: {
    enabled: boolean;
    host: string;
    /** 0 = no listener (tests use inject). */
    port: number;
    /** File the audit log is appended to (also written to the process log, channel `audit`). */
    auditLog?: string;
    tokens: AdminToken[];
    /** Bare JID the API acts as toward the MUC service; default admin-api@<first domain>. */
    mucActor?: string;
    /** How long a request to a worker (sessions, rooms) may take. */
    requestTimeoutMs: number;
    /** Largest page of a list operation. */
    maxPageSize: number;
    /** Requests allowed per window, per token and per client address (0 = no limit). */
    rateLimit: {
      windowMs: number;
      perToken: number;
      perAddress: number;
    };
  };
}

/**
 * `read`: reads that hold no user content (accounts, sessions, rosters,
 * vCards, rooms, statistics); `data`: reads of user content (message
 * archives, offline messages, private XML); `admin`: everything; `metrics`:
 * /metrics only (no /api operation; docs/security.md).
 */
export type AdminScope = 'read' | 'data' | 'admin' | 'metrics';

/** A bearer token of the admin API, configured by the SHA-256 of its secret. */
export interface AdminToken {
  name: string;
  /** SHA-256 of the token, lower-case hex. */
  sha256: string;
  scopes: AdminScope[];
  /** When set, the token acts only on JIDs of these domains. */
  domains?: string[];
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
