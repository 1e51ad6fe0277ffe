import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migratePostgres, openLmdbStores, openPostgresStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { startPostgresServer } from '@parley/testkit';
import type { PostgresServer } from '@parley/testkit';
import { startLocalCluster } from '../src/local-cluster.js';
import type { LocalCluster, LocalClusterOptions } from '../src/local-cluster.js';
import { newAccount } from '../src/users.js';

export interface TestCluster {
  cluster: LocalCluster;
  /** Client port of gateway `i`. */
  port(i: number): number;
  stop(): Promise<void>;
}

/**
 * A local cluster (separate gateway and session-registry processes from the
 * TypeScript sources, over their own nats-server and redis-server) with the
 * given accounts (password 'secret') created in its fresh store: LMDB in a
 * fresh data directory, or with `store: 'postgres'` a fresh PostgreSQL
 * server of its own.
 */
export async function startTestCluster(
  users: string[],
  opts: LocalClusterOptions = {},
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-cluster-'));
  let postgres: PostgresServer | undefined;
  let stores: Stores;
  if (opts.store === 'postgres') {
    postgres = await startPostgresServer();
    await migratePostgres({ url: postgres.url });
    stores = await openPostgresStores({ url: postgres.url });
  } else {
    stores = await openLmdbStores(join(dir, 'db'));
  }
  for (const u of users)
    await stores.accounts.create(await newAccount(`${u}@localhost`, 'secret', 4096));
  await stores.close();
  const cluster = await startLocalCluster({
    dataDir: dir,
    fromSource: true,
    logLevel: 'warn',
    partitions: 16,
    ...(postgres ? { postgresUrl: postgres.url } : {}),
    ...opts,
  });
  return {
    cluster,
    port: (i) => cluster.gateways[i]!.c2sPort!,
    async stop() {
      await cluster.stop();
      await postgres?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the process serving `/readyz` on `port` is ready. */
export async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}
