/**
 * The Redis connection every cluster process makes: its security options
 * (the server is always verified under TLS) and its retry policy, which
 * rides out a Redis restart (a real redis-server, killed and started).
 */
import { startRedisServer } from '@parley/testkit';
import { describe, expect, it, vi } from 'vitest';
import { connectRedis, redisSecurityOptions } from '../src/index.js';

describe('redisSecurityOptions', () => {
  it('nothing configured: no options', () => {
    expect(redisSecurityOptions(undefined)).toEqual({});
    expect(redisSecurityOptions({})).toEqual({});
  });

  it('ACL user and password', () => {
    expect(redisSecurityOptions({ username: 'parley', password: 'pw' })).toEqual({
      username: 'parley',
      password: 'pw',
    });
  });

  it('TLS always verifies the server, with the configured CA and client certificate', () => {
    expect(redisSecurityOptions({ tls: {} })).toEqual({ tls: { rejectUnauthorized: true } });
    expect(
      redisSecurityOptions({ password: 'pw', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } }),
    ).toEqual({
      password: 'pw',
      tls: { rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' },
    });
  });
});

describe('connectRedis', () => {
  it('retries with a short backoff capped at one second, forever', () => {
    const redis = connectRedis('redis://127.0.0.1:1', 'retry-policy', undefined);
    redis.on('error', () => undefined);
    try {
      const retry = redis.options.retryStrategy!;
      expect([1, 2, 10, 20, 21, 1000].map((n) => retry(n))).toEqual([
        50, 100, 500, 1000, 1000, 1000,
      ]);
      expect(redis.options.connectionName).toBe('retry-policy');
    } finally {
      redis.disconnect();
    }
  });

  it('rides out a Redis restart: commands work again once the server is back', async () => {
    const server = await startRedisServer();
    const redis = connectRedis(server.url, 'restart-test');
    redis.on('error', () => undefined);
    try {
      await redis.set('k', 'before');
      await server.kill();
      await vi.waitFor(() => expect(redis.status).not.toBe('ready'), { timeout: 5000 });
      await server.start();
      await vi.waitFor(async () => expect(await redis.ping()).toBe('PONG'), {
        timeout: 10_000,
        interval: 50,
      });
      // A restarted test server is empty (no persistence): the client is simply usable again.
      await redis.set('k', 'after');
      expect(await redis.get('k')).toBe('after');
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
