import { hostname } from 'node:os';
import { addressRange } from './address-range.js';
import { adminTokens } from './admin-tokens.js';
import { postgresStoreSchema } from './postgres-config.js';
import { bool, durationMs, int, list, oneOf, optionalStr, port, str } from './schema.js';
import type { Config, SaslMechanismName, SchemaFor } from './types.js';
import { cassandraTlsSchema, fileKey, natsSecuritySchema, redisSchema } from './security-schema.js';
import { componentsSchema, s2sSchema } from './federation-schema.js';
import { uploadSchema } from './upload-schema.js';
import { quotasSchema } from './quotas-schema.js';
import { pushSchema } from './push-schema.js';
import { boshSchema } from './bosh-schema.js';
import { fastSchema, sasl2Schema } from './sasl2-schema.js';
import { opsSchema } from './ops-schema.js';
import { invitationsSchema } from './invitations-schema.js';
import { c2sLimitsSchema } from './c2s-limits-schema.js';
import { loginLimitsSchema, registrationLimitsSchema } from './login-limits-schema.js';
import { contactSchema } from './contact-schema.js';
import { extdiscoSchema } from './extdisco-schema.js';
import {
  csiMaxQueuedBytes,
  maxPendingOutputBytes,
  shaperSchema,
  smMaxQueueBytes,
} from './shaper-schema.js';

const SASL_MECHANISMS: readonly SaslMechanismName[] = [
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-1',
  'PLAIN',
];

/** Default node id: the host name, reduced to characters safe in subjects and keys. */
export function defaultNodeId(): string {
  const id = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return id === '' ? 'node' : id;
}

/** Every configuration key with its type, default and documentation. */
export const configSchema: SchemaFor<Config> = {
  server: {
    domains: list(str({ default: '', doc: 'domain' }), {
      min: 1,
      default: ['localhost'],
      doc: 'XMPP domains served by this cluster.',
    }),
    dataDir: str({
      default: './data',
      doc: 'Directory for local state: the LMDB store and generated TLS certificates.',
    }),
    nodeId: str({
      default: defaultNodeId,
      defaultDoc: '<hostname>',
      doc: 'Unique id of this process in the cluster. Also read from GATEWAY_ID or NODE_ID.',
    }),
  },
  c2s: {
    port: port({
      allowZero: true,
      default: 5222,
      doc: 'Client-to-server listener port (STARTTLS). 0 picks an ephemeral port (tests).',
    }),
    host: str({ default: '0.0.0.0', doc: 'Address the client listeners bind to.' }),
    directTlsPort: port({
      allowZero: true,
      default: 5223,
      doc: 'Direct TLS client port (XEP-0368); 0 disables it.',
    }),
    requireTls: bool({
      default: true,
      doc: 'Require STARTTLS before authentication.',
    }),
    allowPlainWithoutTls: bool({
      default: false,
      doc: 'Allow authentication on unencrypted streams. Only for loopback benchmarks.',
    }),
    maxStanzaBytes: int({
      min: 1024,
      max: 67_108_864,
      default: 262_144,
      doc: 'Largest accepted stanza in bytes; bigger ones close the stream with policy-violation.',
    }),
    maxPreAuthStanzaBytes: int({
      min: 1024,
      max: 67_108_864,
      default: 16_384,
      doc: 'Largest accepted element before the client has authenticated (SASL, STARTTLS, in-band registration need little); c2s.maxStanzaBytes applies from authentication on. A larger one closes the stream with policy-violation.',
    }),
    connectTimeoutMs: durationMs({
      min: 1,
      default: 30_000,
      doc: 'A new stream must be authenticated within this time.',
    }),
    idleTimeoutMs: durationMs({
      default: 900_000,
      doc: 'A bound stream that sent nothing (no stanza, ack, ping or whitespace) for this long is probed, and closed with connection-timeout if the probe goes unanswered for c2s.idleProbeTimeoutMs; a resumable session then detaches as on any lost connection. Longer than the 5 and 10 minute keepalives of mobile clients, so healthy ones are never probed. 0 = off.',
    }),
    whitespaceKeepaliveMs: durationMs({
      default: 60_000,
      doc: 'Send a whitespace keepalive after this much outbound silence; 0 = off.',
    }),
    authFailureDelayMs: durationMs({
      default: 500,
      doc: 'Failure delay: each failed login from a client address (IPv6: its /64) makes every later attempt from that address, on any connection and gateway, wait this long more; it doubles with each failure in c2s.loginLimits.windowMs. A success resets nothing. docs/security.md, "Login and registration throttling".',
    }),
    authFailureMaxDelayMs: durationMs({
      default: 30_000,
      doc: 'Largest delay one failed login adds (see c2s.authFailureDelayMs).',
    }),
    proxyProtocol: bool({
      default: false,
      doc: 'Expect a PROXY protocol header (HAProxy, version 1 or 2) at the start of every connection to the STARTTLS and direct TLS ports, and use the client address it names for per-address limits, login throttling, logs and metrics. Only connections from c2s.proxyTrustedAddresses are accepted, and they must send the header; any other connection is closed. For load balancers that terminate TCP; not for the WebSocket listeners (see websocket.trustedProxies).',
    }),
    proxyTrustedAddresses: list(addressRange({ doc: 'address or range' }), {
      default: [],
      doc: 'Load balancers allowed to send a PROXY protocol header (c2s.proxyProtocol): IP addresses and CIDR ranges, IPv4 and IPv6 (e.g. 10.0.0.0/8, 2001:db8::/32).',
    }),
    proxyHeaderTimeoutMs: durationMs({
      min: 1,
      max: 60_000,
      default: 5_000,
      doc: 'With c2s.proxyProtocol, a connection whose PROXY header is not complete within this time is closed.',
    }),
    ...c2sLimitsSchema,
    sasl2: sasl2Schema,
    fast: fastSchema,
    loginLimits: loginLimitsSchema,
    maxPendingOutputBytes,
  },
  sm: {
    enabled: bool({
      default: true,
      doc: 'Offer XEP-0198 Stream Management (acks and stream resumption) to clients.',
    }),
    resumeTimeoutMs: durationMs({
      min: 1,
      max: 86_400_000,
      default: 300_000,
      doc: 'How long the session of a dropped resumable stream waits for the client to resume it (on any gateway) before it ends and its unacknowledged messages are bounced.',
    }),
    takeoverTimeoutMs: durationMs({
      min: 100,
      max: 600_000,
      default: 30_000,
      doc: 'How long a resumption (<resume/>) waits for the session registry to move the session to the new connection. In a reconnect storm every session of a lost gateway resumes at once and the registries answer late; without an answer in time the client gets <failed/> with internal-server-error, but the session stays resumable (a later attempt resumes it) and keeps its unacknowledged stanzas until sm.resumeTimeoutMs. A gateway whose detached session was claimed elsewhere waits this long plus 10 s for the takeover before it lets the session go.',
    }),
    maxQueue: int({
      min: 1,
      max: 1_000_000,
      default: 1000,
      doc: 'Unacknowledged stanzas kept per session; one more ends the stream with resource-constraint.',
    }),
    maxQueueBytes: smMaxQueueBytes,
    ackRequestEvery: int({
      min: 1,
      max: 1_000_000,
      default: 5,
      doc: 'Send an ack request (<r/>) after this many unacknowledged outbound stanzas (and after 30 s with unacknowledged stanzas).',
    }),
  },
  csi: {
    enabled: bool({
      default: true,
      doc: 'Offer XEP-0352 Client State Indication: hold presence and chat states while the client is inactive.',
    }),
    maxQueued: int({
      min: 1,
      max: 100_000,
      default: 100,
      doc: 'Stanzas held per inactive client; reaching it flushes them.',
    }),
    maxQueuedBytes: csiMaxQueuedBytes,
  },
  shaper: shaperSchema,
  websocket: {
    enabled: bool({
      default: false,
      doc: 'Serve XMPP over WebSocket (RFC 7395) for browser clients (Converse.js, Strophe.js, xmpp.js), with XEP-0156 discovery at /.well-known/host-meta(.json) on the same listeners.',
    }),
    listeners: list(oneOf(['ws', 'wss'], { default: 'wss', doc: 'listener' }), {
      min: 1,
      default: ['ws', 'wss'],
      doc: "WebSocket listeners to run: 'ws' (plain, on websocket.host:websocket.port) and 'wss' (TLS with the c2s certificate, on websocket.tlsHost:websocket.tlsPort).",
    }),
    port: port({
      allowZero: true,
      default: 5290,
      doc: 'Plain ws:// listener port. 0 picks an ephemeral port (tests).',
    }),
    host: str({
      default: '127.0.0.1',
      doc: 'Address the plain ws:// listener binds to: loopback by default, for a TLS-terminating reverse proxy on the same host or for development.',
    }),
    tlsPort: port({
      allowZero: true,
      default: 5291,
      doc: 'wss:// listener port (TLS with the same certificate as c2s). 0 picks an ephemeral port (tests).',
    }),
    tlsHost: str({ default: '0.0.0.0', doc: 'Address the wss:// listener binds to.' }),
    path: str({
      default: '/xmpp-websocket',
      doc: 'HTTP path of the WebSocket endpoint (must start with /).',
    }),
    plainIsSecure: bool({
      default: false,
      doc: 'Treat ws:// streams as encrypted, for a reverse proxy that terminates TLS in front of the ws:// listener. When false they are unencrypted streams without STARTTLS: with c2s.requireTls they are redirected to wss:// (see-other-uri) or refused, otherwise c2s.allowPlainWithoutTls and registration.allowWithoutTls apply as on TCP.',
    }),
    allowedOrigins: list(str({ default: '', doc: 'origin' }), {
      default: [],
      doc: 'Origins (e.g. https://chat.example.org) whose web pages may open a WebSocket; others get HTTP 403. Empty = any. Requests without an Origin header (non-browser clients) are always allowed.',
    }),
    trustedProxies: list(addressRange({ doc: 'address or range' }), {
      default: [],
      doc: 'Addresses (IP addresses or CIDR ranges) of reverse proxies in front of the WebSocket listeners; for their requests the client address (per-address limits, login throttling, logs) is taken from X-Forwarded-For.',
    }),
    pingIntervalMs: durationMs({
      default: 30_000,
      doc: 'Send a WebSocket ping after this much inbound silence; a connection that does not answer within as long again is dropped (a resumable session stays resumable). 0 = off. Replaces whitespace keepalives, which RFC 7395 forbids.',
    }),
    publicUrls: list(str({ default: '', doc: 'url' }), {
      default: [],
      doc: 'ws:// or wss:// URLs announced by XEP-0156 host-meta and used to redirect ws:// clients to wss://. Empty = derived from the Host header of the request and the listener ports. Set it behind a reverse proxy.',
    }),
  },
  bosh: boshSchema,
  tls: {
    certFile: optionalStr({
      doc: 'PEM certificate chain. When absent a self-signed certificate is generated into dataDir.',
    }),
    keyFile: optionalStr({ doc: 'PEM private key for certFile.' }),
  },
  sasl: {
    mechanisms: list(oneOf(SASL_MECHANISMS, { default: 'SCRAM-SHA-256', doc: 'mechanism' }), {
      min: 1,
      default: [...SASL_MECHANISMS],
      doc: 'SASL mechanisms offered, in order of preference. -PLUS variants need TLS channel binding.',
    }),
    scramIterations: int({
      min: 1,
      max: 10_000_000,
      default: 4096,
      doc: 'PBKDF2 iteration count for newly stored SCRAM credentials (at least 4096 recommended).',
    }),
    fakeSaltSecret: optionalStr({
      doc: 'Secret the SCRAM salts shown for unknown users are derived from, so that they look like real accounts. Every gateway of a cluster needs the same one (prefer fakeSaltSecretFile), or the salt of an unknown user changes with the gateway that answers (account enumeration); a cluster gateway refuses to start without it. Unset in the all-in-one server: a random secret kept in server.dataDir/fake-salt-secret.',
    }),
    fakeSaltSecretFile: fileKey('the secret of the SCRAM salts of unknown users'),
  },
  registration: {
    enabled: bool({ default: false, doc: 'Allow in-band registration (XEP-0077).' }),
    allowWithoutTls: bool({
      default: false,
      doc: 'Allow in-band registration on unencrypted streams.',
    }),
    ...registrationLimitsSchema,
    invitations: invitationsSchema,
  },
  offline: {
    maxPerUser: int({
      min: 0,
      default: 1000,
      doc: 'Offline messages kept per user; further ones are bounced. 0 disables offline storage.',
    }),
    maxBytesPerUser: int({
      min: 0,
      max: 1_073_741_824,
      default: 10_485_760,
      doc: 'Bytes (UTF-8 XML) of the offline messages kept per user, together; a message that would pass it is bounced to its sender with <service-unavailable/> (RFC 6121 8.5.2.2.1, XEP-0160), like one beyond offline.maxPerUser. 0 = bounded by offline.maxPerUser only. docs/security.md, "Per-account limits and quotas".',
    }),
  },
  routing: {
    partitions: int({
      min: 1,
      max: 65_536,
      default: 64,
      doc: 'Number of routing partitions. Must be the same on every node of a cluster.',
    }),
  },
  bus: {
    kind: oneOf(['memory', 'nats'], {
      default: 'memory',
      doc: 'Message bus: in-process memory (single node) or NATS (cluster).',
    }),
    natsUrl: str({
      default: 'nats://127.0.0.1:4222',
      doc: 'NATS server URL(s), comma-separated. Also read from NATS_URL.',
    }),
    durable: oneOf(['direct', 'jetstream'], {
      default: 'direct',
      doc:
        'How routed stanzas travel over NATS: direct (core NATS; the sender keeps each message ' +
        'until its consumer confirms it, and sends it again on loss or failover) or jetstream ' +
        '(stored in a JetStream stream first; slower). The same on every node of a cluster.',
    }),
    nats: natsSecuritySchema,
  },
  redis: redisSchema,
  store: {
    kind: oneOf(['memory', 'lmdb', 'postgres', 'cassandra'], {
      default: 'lmdb',
      doc: 'Storage backend of the durable data (accounts, rosters, offline messages, archives, rooms, pubsub, vCards, private XML): lmdb (one host, in server.dataDir), postgres or cassandra (shared by every process of a cluster), memory (tests).',
    }),
    postgres: postgresStoreSchema,
    cassandra: {
      contactPoints: list(str({ default: '', doc: 'host or host:port' }), {
        min: 1,
        default: ['127.0.0.1'],
        doc: 'Cassandra nodes to connect to first (`host` or `host:port`, default port 9042); used when store.kind is cassandra.',
      }),
      localDataCenter: str({
        default: 'datacenter1',
        doc: 'Name of the Cassandra datacenter this process runs in; requests only go to its nodes.',
      }),
      keyspace: str({
        default: 'parley',
        doc: 'Keyspace holding the tables (created and upgraded by `xmppctl cassandra migrate`).',
      }),
      username: optionalStr({ doc: 'Cassandra user (password authentication); unset = none.' }),
      password: optionalStr({ doc: 'Password of the Cassandra user.' }),
      passwordFile: fileKey('the password of store.cassandra.username'),
      tls: cassandraTlsSchema,
      consistency: oneOf(['localQuorum', 'quorum', 'eachQuorum', 'localOne', 'one', 'all'], {
        default: 'localQuorum',
        doc: 'Consistency level of reads and writes.',
      }),
      serialConsistency: oneOf(['localSerial', 'serial'], {
        default: 'localSerial',
        doc: 'Consistency level of the Paxos phase of lightweight transactions (IF NOT EXISTS, IF ...).',
      }),
      replicationClass: oneOf(['NetworkTopologyStrategy', 'SimpleStrategy'], {
        default: 'NetworkTopologyStrategy',
        doc: 'Replication strategy of the keyspace when `xmppctl cassandra migrate --create-keyspace` creates it (NetworkTopologyStrategy places the replicas in localDataCenter).',
      }),
      replicationFactor: int({
        min: 1,
        max: 99,
        default: 3,
        doc: 'Replicas per row when `xmppctl cassandra migrate --create-keyspace` creates the keyspace.',
      }),
    },
  },
  http: {
    port: port({
      allowZero: true,
      default: 5280,
      doc: 'Port of the HTTP endpoint serving /metrics, /healthz and /readyz; 0 = off.',
    }),
    host: str({ default: '0.0.0.0', doc: 'Address the HTTP endpoint binds to.' }),
  },
  log: {
    level: oneOf(['debug', 'info', 'warn', 'error'], {
      default: 'info',
      doc: 'Lowest log level written.',
    }),
  },
  tracing: {
    enabled: bool({
      default: false,
      doc: 'Record OpenTelemetry traces (one trace follows a stanza from gateway to delivery) and export them over OTLP/HTTP.',
    }),
    otlpEndpoint: optionalStr({
      doc: 'OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces. Also read from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. Default: the exporter default (http://localhost:4318/v1/traces).',
    }),
    samplePercent: int({
      default: 100,
      min: 0,
      max: 100,
      doc: 'Percentage of new traces recorded; a trace already sampled upstream is always followed.',
    }),
  },
  muc: {
    enabled: bool({
      default: true,
      doc: 'Run the XEP-0045 Multi-User Chat service at `<subdomain>.<domain>` for every served domain.',
    }),
    subdomain: str({
      default: 'conference',
      doc: 'First label of the MUC service domain (`conference` serves conference.example.org).',
    }),
    name: str({ default: 'Chatrooms', doc: 'Name of the MUC service in service discovery.' }),
    partitions: int({
      min: 1,
      max: 65_536,
      default: 16,
      doc: 'Number of MUC partitions; rooms are sharded by bare JID. Must be the same on every node of a cluster.',
    }),
    admins: list(str({ default: '', doc: 'bare JID' }), {
      default: [],
      doc: 'Bare JIDs of service administrators: owners of every room.',
    }),
    lockNewRooms: bool({
      default: true,
      doc: 'A room created with the MUC protocol stays locked (status 201) until its owner accepts the default configuration or submits one.',
    }),
    maxRoomsPerUser: int({
      min: 0,
      default: 100,
      doc: 'Rooms one user may have created that still exist; 0 = unlimited.',
    }),
    maxHistory: int({
      min: 0,
      max: 10_000,
      default: 100,
      doc: 'Largest discussion history length a room may be configured with.',
    }),
    maxUsers: int({
      min: 1,
      default: 1000,
      doc: 'Largest maximum number of occupants a room may be configured with.',
    }),
    mamMaxPageSize: int({
      min: 1,
      max: 10_000,
      default: 100,
      doc: 'Largest page of a XEP-0313 query on a room archive.',
    }),
    mamDefaultPageSize: int({
      min: 1,
      max: 10_000,
      default: 50,
      doc: 'Page size of a XEP-0313 query on a room archive that names none.',
    }),
    roomDefaults: {
      persistent: bool({
        default: false,
        doc: 'New rooms are persistent (kept when the last occupant leaves).',
      }),
      public: bool({ default: true, doc: 'New rooms are listed in service discovery.' }),
      membersOnly: bool({ default: false, doc: 'New rooms admit members only.' }),
      moderated: bool({
        default: false,
        doc: 'New rooms are moderated (only occupants with voice may speak).',
      }),
      whois: oneOf(['moderators', 'anyone'], {
        default: 'moderators',
        doc: "Who may see occupants' real JIDs in new rooms (semi-anonymous or non-anonymous).",
      }),
      historyLength: int({
        min: 0,
        max: 10_000,
        default: 20,
        doc: 'Messages of discussion history new rooms send to joining occupants.',
      }),
      maxUsers: int({ min: 1, default: 200, doc: 'Maximum number of occupants of new rooms.' }),
      allowInvites: bool({
        default: false,
        doc: 'Occupants of new members-only rooms may invite others (who then become members).',
      }),
      changeSubject: bool({
        default: false,
        doc: 'Participants of new rooms may change the subject (moderators always may).',
      }),
      allowPm: oneOf(['anyone', 'participants', 'moderators', 'none'], {
        default: 'anyone',
        doc: 'Who may send private messages in new rooms.',
      }),
      logging: bool({
        default: true,
        doc: 'New rooms archive their messages (XEP-0313 on the room, status 170).',
      }),
    },
  },
  mam: {
    enabled: bool({
      default: true,
      doc: "Archive users' one-to-one messages and answer XEP-0313 queries on their bare JIDs.",
    }),
    defaultPolicy: oneOf(['always', 'roster', 'never'], {
      default: 'always',
      doc: 'What is archived for accounts that set no preferences: every message, only those with roster contacts, or nothing.',
    }),
    maxPageSize: int({
      min: 1,
      max: 10_000,
      default: 100,
      doc: 'Largest page of a XEP-0313 query on a user archive.',
    }),
    defaultPageSize: int({
      min: 1,
      max: 10_000,
      default: 50,
      doc: 'Page size of a XEP-0313 query on a user archive that names none.',
    }),
    includeCount: bool({
      default: true,
      doc: 'Answer archive queries with the RSM count and first index (two extra counts per query).',
    }),
  },
  pubsub: {
    enabled: bool({
      default: true,
      doc: 'Serve a XEP-0060 pubsub service on <subdomain>.<domain> for every served domain (PEP is always on).',
    }),
    subdomain: str({
      default: 'pubsub',
      doc: 'Subdomain of the pubsub service: pubsub.example.org for example.org.',
    }),
    maxItems: int({
      min: 1,
      max: 100_000,
      default: 1000,
      doc: "Most items a pubsub or PEP node may keep; what max_items 'max' means.",
    }),
    pepDefaultMaxItems: int({
      min: 1,
      max: 100_000,
      default: 1,
      doc: 'Items kept by a new PEP node unless its configuration says otherwise.',
    }),
    serviceDefaultMaxItems: int({
      min: 1,
      max: 100_000,
      default: 10,
      doc: 'Items kept by a new node of the pubsub service unless its configuration says otherwise.',
    }),
    maxPayloadBytes: int({
      min: 1024,
      max: 67_108_864,
      default: 262_144,
      doc: 'Largest pubsub item payload, vCard or private XML element accepted, in bytes.',
    }),
  },
  modules: {
    disabled: list(str({ default: '', doc: 'module name' }), {
      default: [],
      doc: 'Server modules to switch off by name (e.g. `["vcard", "last", "muc-vcard"]`; the names are listed in docs/xeps.md): names starting with `muc-` are modules of the MUC service, the others of the session registry. An unknown name, or a module another enabled module requires, stops the start of the service it belongs to.',
    }),
    version: {
      name: str({
        default: 'Parley',
        doc: 'Software name reported by XEP-0092 Software Version.',
      }),
      showOs: bool({
        default: false,
        doc: 'Include the operating system in XEP-0092 answers.',
      }),
    },
  },
  contact: contactSchema,
  extdisco: extdiscoSchema,
  s2s: s2sSchema,
  components: componentsSchema,
  quotas: quotasSchema,
  upload: uploadSchema,
  push: pushSchema,
  ops: opsSchema,
  admin: {
    enabled: bool({
      default: false,
      doc: 'Serve the admin REST API (services/admin-api; see docs/admin-api.md).',
    }),
    host: str({ default: '127.0.0.1', doc: 'Address the admin API listens on.' }),
    port: port({
      allowZero: true,
      default: 5285,
      doc: 'Port of the admin API; 0 = no listener (in-process use and tests).',
    }),
    auditLog: optionalStr({
      doc: 'File the audit log is appended to (JSON lines, created with mode 0600): one record per admin API request and per `xmppctl` command, with who (token name and scopes, client address, or the local user), what (operation, route, target JIDs, rooms and domains), the outcome and when; never passwords, tokens or message bodies (docs/security.md). The records also go to the process log on the `audit` channel. Unset: the process log only (`xmppctl` then writes them to standard error).',
    }),
    tokens: adminTokens({
      doc: 'Bearer tokens of the admin API: `{name, sha256, scopes: ["read"|"data"|"admin"|"metrics"], domains?}` with the SHA-256 (hex) of each token, never the token itself (`xmppctl api gen-token` makes one). In the environment: JSON, or `name:sha256:read+data+admin[:domain+domain]` entries separated by commas. `read` reads what is not user content, `data` reads message archives, offline messages and private XML, `admin` allows everything, `metrics` only reads /metrics (ops.requireToken; docs/admin-api.md).',
    }),
    mucActor: optionalStr({
      doc: 'Bare JID the admin API acts as toward the MUC service (list it in muc.admins). Unset: admin-api@<first server domain>. Reserved: nobody may register or log in as it (nor as admin-api on any served domain).',
    }),
    requestTimeoutMs: durationMs({
      min: 100,
      max: 300_000,
      default: 5000,
      doc: 'How long the admin API waits for a worker to answer (session, roster and room operations).',
    }),
    maxPageSize: int({
      min: 1,
      max: 100_000,
      default: 1000,
      doc: 'Largest page of an admin API list operation.',
    }),
    rateLimit: {
      windowMs: durationMs({
        min: 1000,
        max: 3_600_000,
        default: 60_000,
        doc: 'Window of the admin API rate limits.',
      }),
      perToken: int({
        min: 0,
        max: 1_000_000,
        default: 600,
        doc: 'Requests one admin API token may make per window (every replica counts on its own); beyond: 429 with Retry-After. 0 = no limit.',
      }),
      perAddress: int({
        min: 0,
        max: 1_000_000,
        default: 1200,
        doc: 'Requests one client address (IPv6: its /64) may make to the admin API per window, with or without a valid token; beyond: 429 with Retry-After. 0 = no limit.',
      }),
    },
  },
};

/**
 * Conventional cluster-wide environment variables and the key they set.
 * When several map to the same key, the first one present wins; PARLEY_*
 * names always take precedence over these.
 */
export const ENV_ALIASES: ReadonlyArray<{ env: string; key: string }> = [
  { env: 'NATS_URL', key: 'bus.natsUrl' },
  { env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', key: 'tracing.otlpEndpoint' },
  { env: 'REDIS_URL', key: 'redis.url' },
  { env: 'GATEWAY_ID', key: 'server.nodeId' },
  { env: 'NODE_ID', key: 'server.nodeId' },
];
