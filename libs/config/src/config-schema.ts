import { hostname } from 'node:os';
import { bool, durationMs, int, list, oneOf, optionalStr, port, str } from './schema.js';
import type { Config, SaslMechanismName, SchemaFor } from './types.js';

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
    connectTimeoutMs: durationMs({
      min: 1,
      default: 30_000,
      doc: 'A new stream must be authenticated within this time.',
    }),
    idleTimeoutMs: durationMs({
      default: 0,
      doc: 'Close streams that received nothing for this long; 0 = off.',
    }),
    whitespaceKeepaliveMs: durationMs({
      default: 60_000,
      doc: 'Send a whitespace keepalive after this much outbound silence; 0 = off.',
    }),
    maxConnectionsPerIp: int({
      min: 0,
      default: 100,
      doc: 'Concurrent client connections allowed from one IP address; 0 = unlimited.',
    }),
    authFailureDelayMs: durationMs({
      default: 500,
      doc: 'Delay before answering a failed authentication; doubles per failure per IP.',
    }),
    authFailureMaxDelayMs: durationMs({
      default: 30_000,
      doc: 'Upper bound of the authentication failure delay.',
    }),
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
    maxQueue: int({
      min: 1,
      max: 1_000_000,
      default: 1000,
      doc: 'Unacknowledged stanzas kept per session; one more ends the stream with resource-constraint.',
    }),
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
  },
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
  },
  registration: {
    enabled: bool({ default: false, doc: 'Allow in-band registration (XEP-0077).' }),
    allowWithoutTls: bool({
      default: false,
      doc: 'Allow in-band registration on unencrypted streams.',
    }),
  },
  offline: {
    maxPerUser: int({
      min: 0,
      default: 1000,
      doc: 'Offline messages kept per user; further ones are bounced. 0 disables offline storage.',
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
  },
  redis: {
    url: str({
      default: 'redis://127.0.0.1:6379',
      doc: 'Redis URL for the session registry. Also read from REDIS_URL.',
    }),
  },
  store: {
    kind: oneOf(['memory', 'lmdb'], {
      default: 'lmdb',
      doc: 'Storage backend for accounts, rosters and offline messages.',
    }),
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
  modules: {
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
};

/**
 * Conventional cluster-wide environment variables and the key they set.
 * When several map to the same key, the first one present wins; PARLEY_*
 * names always take precedence over these.
 */
export const ENV_ALIASES: ReadonlyArray<{ env: string; key: string }> = [
  { env: 'NATS_URL', key: 'bus.natsUrl' },
  { env: 'REDIS_URL', key: 'redis.url' },
  { env: 'GATEWAY_ID', key: 'server.nodeId' },
  { env: 'NODE_ID', key: 'server.nodeId' },
];
