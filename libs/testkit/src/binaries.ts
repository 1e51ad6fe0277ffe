import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Searched after $PATH: server binaries often live in sbin directories not on a user's PATH. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    const stat = statSync(path);
    // access(X_OK) succeeds for root on most files; require an execute bit too.
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Absolute path of the executable `name` (a bare name or a path), or undefined. */
export function findBinary(name: string): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...pathDirs, ...EXTRA_DIRS]) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether the executable `name` can be found on $PATH or in the usual sbin directories. */
export function hasBinary(name: string): boolean {
  return findBinary(name) !== undefined;
}
