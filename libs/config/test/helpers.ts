/** Shared pieces of the configuration tests (src/*.test.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { ConfigError } from '../src/errors.js';

/**
 * A temporary directory for the files of one test file (configuration,
 * secrets, PEM), removed after its tests. `write` puts `content` in `name`
 * and returns the path.
 */
export function testFiles(prefix: string): {
  dir: string;
  write(name: string, content: string): string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
