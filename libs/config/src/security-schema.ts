/** Schema of the keys in security-types.ts (authentication and TLS between processes). */
import { bool, optionalStr, str } from './schema.js';
import type { Field } from './schema.js';
import type { CassandraTlsConfig, NatsSecurityConfig, RedisConfig } from './security-types.js';
import type { SchemaFor } from './types.js';

export function fileKey(what: string): Field<string | undefined> {
  return optionalStr({
    doc: `Path of a file holding ${what} (e.g. a mounted Kubernetes Secret); surrounding whitespace is ignored. Exclusive with the inline key.`,
  });
}

function tlsFiles(link: string, on: string) {
  return {
    caFile: optionalStr({
      doc: `PEM CA certificate(s) the ${link} server certificate must chain to; unset = the system CAs. Setting it turns TLS on${on}.`,
    }),
    certFile: optionalStr({
      doc: `PEM client certificate for mutual TLS with ${link}; needs the matching keyFile.`,
    }),
    keyFile: optionalStr({ doc: `PEM private key of the ${link} client certificate.` }),
  };
}

export const natsSecuritySchema: SchemaFor<NatsSecurityConfig> = {
  token: optionalStr({
    doc: 'NATS token authentication. Prefer tokenFile or the PARLEY_BUS_NATS_TOKEN variable over a config file. Exclusive with user, nkey and creds.',
  }),
  tokenFile: fileKey('the NATS token'),
  user: optionalStr({
    doc: 'NATS user (user/password authentication); needs password or passwordFile.',
  }),
  password: optionalStr({ doc: 'Password of bus.nats.user.' }),
  passwordFile: fileKey('the password of bus.nats.user'),
  nkeySeed: optionalStr({
    doc: 'NKey authentication: the seed of the NATS user (starts with SU). Prefer nkeySeedFile.',
  }),
  nkeySeedFile: fileKey('the NKey seed of the NATS user'),
  credsFile: optionalStr({
    doc: 'Decentralized (JWT) authentication: a .creds file holding the user JWT and its NKey seed, as made by `nsc`.',
  }),
  tls: tlsFiles('NATS', ' (as does a tls:// URL in bus.natsUrl)'),
};

export const redisSchema: SchemaFor<RedisConfig> = {
  url: str({
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis URL of the hot state (sessions, leases, resumption); rediss:// connects with TLS. Also read from REDIS_URL.',
  }),
  username: optionalStr({
    doc: 'Redis ACL user (Redis 6+); unset = the default user. Needs password or passwordFile.',
  }),
  password: optionalStr({
    doc: 'Redis password (requirepass, or the password of redis.username). Prefer passwordFile or PARLEY_REDIS_PASSWORD.',
  }),
  passwordFile: fileKey('the Redis password'),
  tls: tlsFiles('Redis', ' (as does a rediss:// URL)'),
};

export const cassandraTlsSchema: SchemaFor<CassandraTlsConfig> = {
  enabled: bool({
    default: false,
    doc: 'Connect to the Cassandra nodes with TLS (also on when a file below is set).',
  }),
  ...tlsFiles('Cassandra', ''),
  verifyServerName: bool({
    default: true,
    doc: "Check that each node's certificate names the address connected to (contact points as host names). The chain is always checked against caFile.",
  }),
};
