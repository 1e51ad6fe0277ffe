import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';

/** Credentials and TLS of a Redis connection (what `redisConnectionSecurity` of @parley/config reads). */
export interface RedisSecurity {
  username?: string;
  password?: string;
  /** When present the connection uses TLS, verifying the server with `ca` (default: system CAs). */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** The ioredis options for `security`: ACL user, password, TLS (server always verified). */
export function redisSecurityOptions(security: RedisSecurity | undefined): RedisOptions {
  if (security === undefined) return {};
  const out: RedisOptions = {};
  if (security.username !== undefined) out.username = security.username;
  if (security.password !== undefined) out.password = security.password;
  if (security.tls !== undefined) {
    const { ca, cert, key } = security.tls;
    out.tls = {
      rejectUnauthorized: true,
      ...(ca !== undefined ? { ca: [ca] } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }
  return out;
}

/**
 * A Redis connection that retries forever with a short backoff, so a Redis
 * restart is ridden out instead of crashing the process; commands issued
 * while disconnected fail fast once the offline queue limit is hit.
 */
export function connectRedis(url: string, name: string, security?: RedisSecurity): Redis {
  return new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    ...redisSecurityOptions(security),
  });
}

export type { Redis };
