import { Redis } from 'ioredis';

/**
 * A Redis connection that retries forever with a short backoff, so a Redis
 * restart is ridden out instead of crashing the process; commands issued
 * while disconnected fail fast once the offline queue limit is hit.
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  });
}

export type { Redis };
