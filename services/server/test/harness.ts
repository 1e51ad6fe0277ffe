import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { createLogger } from '@parley/telemetry';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { newAccount } from '../src/users.js';

/** How long the server tests wait for an event with vi.waitFor, and how often they look. */
export const WAIT = { timeout: 5_000, interval: 20 };

export interface TestServer {
  server: RunningServer;
  port: number;
  dataDir: string;
  addUser(local: string, password?: string): Promise<string>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** Starts the all-in-one server on ephemeral ports with its own data directory. */
export async function startTestServer(
  overrides: DeepPartial<Config> = {},
  dataDir?: string,
): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-test-')));
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { domains: ['localhost'], dataDir: dir, nodeId: 'test', ...overrides.server },
      c2s: {
        port: 0,
        directTlsPort: 0,
        host: '127.0.0.1',
        authFailureDelayMs: 10,
        ...overrides.c2s,
      },
      http: { port: 0, host: '127.0.0.1', ...overrides.http },
      sasl: { scramIterations: 4096, ...overrides.sasl },
      log: { level: 'warn', ...overrides.log },
    },
  });
  const server = await startServer(config, {
    logger: createLogger({
      service: 'test',
      level: config.log.level,
      sink: process.env['PARLEY_TEST_LOG'] ? (l) => process.stderr.write(l) : () => {},
    }),
  });
  return {
    server,
    port: server.gateway.ports.c2s,
    dataDir: dir,
    async addUser(local, password = 'secret') {
      const jid = `${local}@localhost`;
      await server.stores.accounts.create(
        await newAccount(jid, password, config.sasl.scramIterations),
      );
      return jid;
    },
    async stop(opts) {
      await server.close();
      if (!opts?.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}
