import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cleanupTempDirs, removeTempDir, tempDir } from './index.js';

describe('tempDir', () => {
  it('creates distinct directories under the OS temp dir with the prefix', async () => {
    const a = await tempDir('parley-store');
    const b = await tempDir('parley-store');
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe(tmpdir());
    expect(basename(a)).toMatch(/^parley-store-/);
    expect(existsSync(a)).toBe(true);
    await removeTempDir(a);
    await removeTempDir(b);
  });

  it('sanitises prefixes so the directory stays inside the temp dir', async () => {
    const dir = await tempDir('../evil/prefix');
    expect(dirname(dir)).toBe(tmpdir());
    await removeTempDir(dir);
  });

  it('removes directories with their contents', async () => {
    const dir = await tempDir('parley-rm');
    writeFileSync(join(dir, 'file.txt'), 'x');
    await removeTempDir(dir);
    expect(existsSync(dir)).toBe(false);
    await removeTempDir(dir);
  });

  it('cleans up every remaining directory', async () => {
    const dirs = await Promise.all([tempDir('parley-a'), tempDir('parley-b')]);
    await cleanupTempDirs();
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
