import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openCassandraStores } from './cassandra/open.js';
import type { CassandraStoreOptions } from './cassandra/options.js';
import type { Stores } from './contracts.js';
import { StoreError } from './errors.js';
import { openLmdbStores } from './lmdb/open.js';
import { openMemoryStores } from './memory/open.js';

/**
 * Opens the durable stores a process is configured for: `memory`, LMDB
 * under `<dataDir>/db` (several processes on one host may share it), or the
 * Cassandra cluster described by `cassandra` (the `store.cassandra` config
 * section).
 */
export async function openStores(opts: {
  kind: 'memory' | 'lmdb' | 'cassandra';
  dataDir: string;
  cassandra?: CassandraStoreOptions;
}): Promise<Stores> {
  if (opts.kind === 'memory') return openMemoryStores();
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
