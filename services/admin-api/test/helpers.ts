import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MemoryBus } from '@parley/bus';
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { openMemoryStores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp } from '../src/app.js';
import type { AdminDeps } from '../src/deps.js';

export const TOKENS = {
  admin: 'unit-admin',
  read: 'unit-read',
  scoped: 'unit-scoped',
  data: 'unit-data',
} as const;
export const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/**
 * The admin API alone over an in-process bus and memory stores, with no
 * session registry behind it: for the HTTP layer (auth, validation,
 * problems, the OpenAPI document) and store-only operations.
 */
export async function buildTestApp(
  overrides: DeepPartial<Config> = {},
  /** Receives the API's log lines (level info and above); default: none are kept. */
  log?: (line: string) => void,
  /** Dependencies of the API beyond the defaults (e.g. loginLimits). */
  deps: Partial<Pick<AdminDeps, 'loginLimits'>> = {},
): Promise<{
  app: FastifyInstance;
  config: Config;
  routes: Array<{ method: string; url: string }>;
  /** The API reference for an ops listener (ops.port). */
  opsRoutes: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}> {
  const { admin: adminOverrides, ...rest } = overrides;
  const config = loadConfig({
    env: {},
    overrides: {
      server: { domains: ['localhost', 'example.net'], nodeId: 'unit' },
      sasl: { scramIterations: 4096 },
      admin: {
        enabled: true,
        port: 0,
        requestTimeoutMs: 200,
        tokens: [
          { name: 'admin', sha256: sha(TOKENS.admin), scopes: ['admin'] },
          { name: 'read', sha256: sha(TOKENS.read), scopes: ['read'] },
          {
            name: 'scoped',
            sha256: sha(TOKENS.scoped),
            scopes: ['admin'],
            domains: ['example.net'],
          },
          { name: 'data', sha256: sha(TOKENS.data), scopes: ['read', 'data'] },
        ],
        ...adminOverrides,
      },
      ...rest,
    },
  });
  const bus = new MemoryBus();
  const stores = openMemoryStores();
  const { app, routes, opsRoutes } = await buildAdminApp({
    config,
    bus,
    stores,
    logger: createLogger({
      service: 'test',
      level: log ? 'info' : 'error',
      sink: log ?? (() => {}),
    }),
    metrics: createMetrics({ collectDefault: false }),
    instance: 'unit',
    ...deps,
  });
  return {
    app,
    config,
    routes,
    opsRoutes,
    async close() {
      await app.close();
      await bus.close();
      await stores.close();
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
