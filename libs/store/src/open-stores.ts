import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openCassandraStores } from './cassandra/open.js';
import type { CassandraStoreOptions } from './cassandra/options.js';
import type { Stores } from './contracts.js';
import { StoreError } from './errors.js';
import { openLmdbStores } from './lmdb/open.js';
import { openMemoryStores } from './memory/open.js';
import { openPostgresStores } from './postgres/open.js';
import type { PostgresStoreOptions } from './postgres/options.js';

/**
 * Opens the durable stores a process is configured for: `memory`, LMDB
 * under `<dataDir>/db` (several processes on one host may share it), the
 * PostgreSQL database described by `postgres` (the `store.postgres` config
 * section), or the Cassandra cluster described by `cassandra`
 * (`store.cassandra`).
 */
export async function openStores(opts: {
  kind: 'memory' | 'lmdb' | 'postgres' | 'cassandra';
  dataDir: string;
  postgres?: PostgresStoreOptions;
  cassandra?: CassandraStoreOptions;
}): Promise<Stores> {
  if (opts.kind === 'memory') return openMemoryStores();
  if (opts.kind === 'postgres') {
    if (!opts.postgres) {
      throw new StoreError('invalid-argument', "store kind 'postgres' needs postgres options");
    }
    return openPostgresStores(opts.postgres);
  }
  if (opts.kind === 'cassandra') {
    if (!opts.cassandra) {
      throw new StoreError('invalid-argument', "store kind 'cassandra' needs cassandra options");
    }
    return openCassandraStores(opts.cassandra);
  }
  const dir = resolve(opts.dataDir, 'db');
  mkdirSync(dir, { recursive: true });
  return openLmdbStores(dir);
}
