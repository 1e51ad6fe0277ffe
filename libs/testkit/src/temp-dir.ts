import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './process-cleanup.js';

const created = new Map<string, () => void>();

/**
 * Creates a fresh directory under the OS temp dir, e.g. `/tmp/parley-store-Ab12Cd`.
 * It is removed by {@link removeTempDir}, {@link cleanupTempDirs}, or at process exit.
 */
export async function tempDir(prefix = 'parley'): Promise<string> {
  const safe = prefix.replace(/[^A-Za-z0-9._-]+/g, '-');
  const dir = await mkdtemp(join(tmpdir(), safe.endsWith('-') ? safe : `${safe}-`));
  created.set(dir, removeOnExit(dir));
  return dir;
}

/** Removes a directory (recursively; missing is fine). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  created.get(dir)?.();
  created.delete(dir);
}

/** Removes every directory made by {@link tempDir} that still exists. */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all([...created.keys()].map((dir) => removeTempDir(dir)));
}
