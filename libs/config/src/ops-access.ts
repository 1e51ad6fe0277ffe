/**
 * Who may read /metrics and the admin API's reference (ops.requireToken):
 * the same bearer tokens as the admin API (admin.tokens). /metrics is
 * server-wide, so it needs the `metrics` or `admin` scope and a token not
 * limited to domains; the reference holds no data, so any valid token
 * reads it (`xmppctl api` fetches it with the token it uses anyway).
 */
import { authenticateBearer } from './admin-tokens.js';
import type { Config } from './types.js';

/** `ok`, or why not: no valid token (401) or one without the scope (403). */
export type OpsAccess = 'ok' | 'unauthorized' | 'forbidden';

export type OpsResource = 'metrics' | 'reference';

export function opsAccess(
  config: Pick<Config, 'ops' | 'admin'>,
  authorization: string | undefined,
  what: OpsResource,
): OpsAccess {
  if (!config.ops.requireToken) return 'ok';
  const token = authenticateBearer(authorization, config.admin.tokens);
  if (token === undefined) return 'unauthorized';
  if (what === 'reference') return 'ok';
  const scoped = token.scopes.includes('metrics') || token.scopes.includes('admin');
  return scoped && token.domains === undefined ? 'ok' : 'forbidden';
}

/**
 * The options of a process's HTTP endpoint (@parley/telemetry
 * startHttpEndpoint) that ops.* decides: who reads /metrics, and the ops
 * listener when ops.port is set.
 */
export function opsEndpointOptions(config: Pick<Config, 'ops' | 'admin'>): {
  authorizeMetrics: (authorization: string | undefined) => OpsAccess;
  ops?: { port: number; host: string };
} {
  return {
    authorizeMetrics: (authorization) => opsAccess(config, authorization, 'metrics'),
    ...(config.ops.port !== 0 ? { ops: { port: config.ops.port, host: config.ops.host } } : {}),
  };
}
