import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { authenticateBearer, opsAccess, opsEndpointOptions } from './index.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('ops access (/metrics and the API reference)', () => {
  const config = (env: Record<string, string> = {}) =>
    loadConfig({
      env: {
        PARLEY_ADMIN_TOKENS: [
          `prom:${sha('p')}:metrics`,
          `ops:${sha('o')}:admin`,
          `reader:${sha('r')}:read`,
          `tenant:${sha('t')}:admin:example.org`,
        ].join(','),
        ...env,
      },
    });

  it('accepts the metrics scope in admin.tokens', () => {
    expect(config().admin.tokens[0]).toEqual({
      name: 'prom',
      sha256: sha('p'),
      scopes: ['metrics'],
    });
    expect(authenticateBearer('Bearer p', config().admin.tokens)?.name).toBe('prom');
    expect(authenticateBearer('Basic p', config().admin.tokens)).toBeUndefined();
  });

  it('needs a token by default: metrics or admin scope, no domains, for /metrics', () => {
    const c = config();
    expect(c.ops).toEqual({ port: 0, host: '127.0.0.1', requireToken: true });
    expect(opsAccess(c, undefined, 'metrics')).toBe('unauthorized');
    expect(opsAccess(c, 'Bearer nope', 'metrics')).toBe('unauthorized');
    expect(opsAccess(c, 'Bearer p', 'metrics')).toBe('ok');
    expect(opsAccess(c, 'Bearer o', 'metrics')).toBe('ok');
    expect(opsAccess(c, 'Bearer r', 'metrics')).toBe('forbidden');
    expect(opsAccess(c, 'Bearer t', 'metrics')).toBe('forbidden');
    // The reference: any valid token.
    expect(opsAccess(c, 'Bearer r', 'reference')).toBe('ok');
    expect(opsAccess(c, undefined, 'reference')).toBe('unauthorized');
    expect(opsEndpointOptions(c).ops).toBeUndefined();
  });

  it('opens both with ops.requireToken off, and names the ops listener', () => {
    const c = config({
      PARLEY_OPS_REQUIRE_TOKEN: 'false',
      PARLEY_OPS_PORT: '5281',
      PARLEY_OPS_HOST: '10.1.2.3',
    });
    expect(opsAccess(c, undefined, 'metrics')).toBe('ok');
    expect(opsAccess(c, undefined, 'reference')).toBe('ok');
    const o = opsEndpointOptions(c);
    expect(o.ops).toEqual({ port: 5281, host: '10.1.2.3' });
    expect(o.authorizeMetrics(undefined)).toBe('ok');
  });
});
