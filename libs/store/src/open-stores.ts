import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Stores } from './contracts.js';
import { openLmdbStores } from './lmdb/open.js';
import { openMemoryStores } from './memory/open.js';

/**
 * Opens the durable stores a process is configured for: `memory`, or LMDB
 * under `<dataDir>/db` (several processes on one host may share it).
 */
export async function openStores(opts: {
  kind: 'memory' | 'lmdb';
  dataDir: string;
}): Promise<Stores> {
  if (opts.kind === 'memory') return openMemoryStores();
  const dir = resolve(opts.dataDir, 'db');
  mkdirSync(dir, { recursive: true });
  return openLmdbStores(dir);
}
