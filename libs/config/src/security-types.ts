/**
 * Authentication and TLS of the links between processes: NATS (`bus.nats`),
 * Redis (`redis`) and Cassandra (`store.cassandra.tls`). Every secret can be
 * given inline (file or PARLEY_* variable) or as the path of a file holding
 * it (a mounted Kubernetes Secret); see docs/security.md.
 */

/** PEM files of a TLS client: the CA that signed the server, and an optional client certificate. */
export interface TlsFilesConfig {
  /** CA certificate(s) the server certificate must chain to; unset = the system CAs. */
  caFile?: string;
  /** Client certificate (mutual TLS); needs keyFile. */
  certFile?: string;
  keyFile?: string;
}

export interface NatsSecurityConfig {
  /** Token authentication (`authorization { token }`). */
  token?: string;
  tokenFile?: string;
  /** User/password authentication. */
  user?: string;
  password?: string;
  passwordFile?: string;
  /** NKey authentication: the user's seed (`SU...`). */
  nkeySeed?: string;
  nkeySeedFile?: string;
  /** Decentralized JWT authentication: a `.creds` file (user JWT + NKey seed). */
  credsFile?: string;
  /** TLS; also on with `tls://` URLs. */
  tls: TlsFilesConfig;
}

export interface RedisConfig {
  /** `redis://` or `rediss://` (TLS) URL. */
  url: string;
  /** ACL user (Redis 6+); unset = `default`. */
  username?: string;
  password?: string;
  passwordFile?: string;
  /** TLS; also on with `rediss://` URLs. */
  tls: TlsFilesConfig;
}

export interface CassandraTlsConfig {
  /** Connect with TLS (also on when a file below is set). */
  enabled: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Check that the node's certificate names the host connected to. */
  verifyServerName: boolean;
}
