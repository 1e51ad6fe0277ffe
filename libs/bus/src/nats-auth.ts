/**
 * Authentication and TLS of the NATS connection: maps plain values (read
 * from configuration by the caller) to nats.js connection options.
 */
import { credsAuthenticator, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsAuthOptions {
  /** Token authentication. */
  token?: string;
  /** User/password authentication. */
  user?: string;
  pass?: string;
  /** NKey authentication: the user's seed (`SU...`). */
  nkeySeed?: string;
  /** Decentralized JWT authentication: the contents of a `.creds` file. */
  creds?: string;
  /**
   * When present the connection must be TLS (a server without TLS is
   * refused): PEM CA to verify the server with (default: system CAs), and
   * an optional client certificate and key for mutual TLS.
   */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** The nats.js connect options for `auth`; empty when there is nothing to set. */
export function natsConnectOptions(
  auth: NatsAuthOptions | undefined,
): Partial<NodeConnectionOptions> {
  if (auth === undefined) return {};
  const out: Partial<NodeConnectionOptions> = {};
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.user !== undefined) {
    out.user = auth.user;
    if (auth.pass !== undefined) out.pass = auth.pass;
  }
  const enc = new TextEncoder();
  if (auth.nkeySeed !== undefined) out.authenticator = nkeyAuthenticator(enc.encode(auth.nkeySeed));
  if (auth.creds !== undefined) out.authenticator = credsAuthenticator(enc.encode(auth.creds));
  if (auth.tls !== undefined) {
    const { ca, cert, key } = auth.tls;
    out.tls = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }
  return out;
}
