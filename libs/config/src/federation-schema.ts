/** Schema of the keys in federation-types.ts: the `s2s` and `components` sections. */
import { componentsField } from './components-field.js';
import type { ComponentsConfig, S2sConfig } from './federation-types.js';
import { bool, durationMs, int, list, optionalStr, port, str } from './schema.js';
import { fileKey } from './security-schema.js';
import type { SchemaFor } from './types.js';

const domainList = (doc: string) => list(str({ default: '', doc: 'domain' }), { default: [], doc });

export const s2sSchema: SchemaFor<S2sConfig> = {
  enabled: bool({
    default: false,
    doc: 'Federate with other XMPP servers (RFC 6120 server-to-server): listen on s2s.port and route stanzas for remote domains to their servers. Off: such stanzas are answered with remote-server-not-found.',
  }),
  host: str({ default: '0.0.0.0', doc: 'Address the S2S listeners bind to.' }),
  port: port({
    allowZero: true,
    default: 5269,
    doc: 'Server-to-server port (STARTTLS); 0 picks an ephemeral port (tests).',
  }),
  directTlsPort: port({
    allowZero: true,
    default: 0,
    doc: 'Server-to-server port with direct TLS (XEP-0368, usually 5270); 0 = off.',
  }),
  partitions: int({
    min: 1,
    max: 65_536,
    default: 16,
    doc: 'Number of S2S partitions: the outbound connections to one remote domain belong to the owner of its partition. Must be the same on every node of a cluster.',
  }),
  requireTls: bool({
    default: true,
    doc: 'Server-to-server streams must be encrypted in both directions (STARTTLS or direct TLS).',
  }),
  secureAuth: bool({
    default: false,
    doc: 'Accept and open only streams authenticated by a valid certificate (SASL EXTERNAL); never fall back to Server Dialback (XEP-0220).',
  }),
  trustStoreFile: optionalStr({
    doc: 'PEM CA certificates that peer certificates must chain to. Unset: the CA roots bundled with Node.js.',
  }),
  dialbackSecret: optionalStr({
    doc: 'Secret of the Server Dialback keys (XEP-0185). Every S2S node of a cluster needs the same one (prefer dialbackSecretFile); unset: a random secret per process, enough for a single node.',
  }),
  dialbackSecretFile: fileKey('the Server Dialback secret'),
  resolvers: list(str({ default: '', doc: 'host or host:port' }), {
    default: [],
    doc: 'DNS servers (`host` or `host:port`) asked for _xmpps-server/_xmpp-server SRV records and addresses. Empty: the system resolver configuration.',
  }),
  overrides: list(str({ default: '', doc: 'domain=host:port' }), {
    default: [],
    doc: 'Static routes that skip DNS: `domain=host:port` (STARTTLS) or `domain=tls://host:port` (direct TLS).',
  }),
  allow: domainList(
    'When not empty, the only remote domains federated with (both directions); stanzas for others are answered with remote-server-not-found.',
  ),
  deny: domainList('Remote domains never federated with (both directions).'),
  connectTimeoutMs: durationMs({
    min: 100,
    max: 300_000,
    default: 15_000,
    doc: 'A connection to a remote server must be set up (DNS, TCP, TLS, authentication) within this; then its queued stanzas are bounced with remote-server-timeout.',
  }),
  idleTimeoutMs: durationMs({
    min: 0,
    max: 86_400_000,
    default: 600_000,
    doc: 'Server-to-server streams that carried no stanza for this long are closed; 0 = never.',
  }),
  queueMax: int({
    min: 1,
    max: 1_000_000,
    default: 1000,
    doc: 'Stanzas kept per remote domain while its connection is set up; more are bounced with resource-constraint.',
  }),
  maxStreamsPerDomain: int({
    min: 1,
    max: 1000,
    default: 8,
    doc: 'Inbound streams accepted per remote domain at a time (per node).',
  }),
  stanzasPerSecond: int({
    min: 0,
    default: 1000,
    doc: 'Inbound stanzas per second accepted from one remote domain (per node); a stream that keeps above it is closed with policy-violation. 0 = unlimited.',
  }),
  retryAfterMs: durationMs({
    min: 0,
    max: 3_600_000,
    default: 30_000,
    doc: 'After a connection to a remote domain failed, stanzas for it are bounced at once for this long before the next attempt.',
  }),
  maxStanzaBytes: int({
    min: 1024,
    max: 16_777_216,
    default: 262_144,
    doc: 'Largest stanza accepted on a server-to-server stream.',
  }),
};

export const componentsSchema: SchemaFor<ComponentsConfig> = {
  port: port({
    allowZero: true,
    default: 0,
    doc: 'Port for external components (XEP-0114, usually 5347); 0 = off.',
  }),
  host: str({
    default: '127.0.0.1',
    doc: 'Address the component listener binds to (components usually run next to the server).',
  }),
  list: componentsField({
    doc: 'Components allowed to connect: `{domain, secret}` or `{domain, secretFile}`; stanzas for the domain go to the component. In the environment: JSON, or `domain=secret` entries separated by commas.',
  }),
};
