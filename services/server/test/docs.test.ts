import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown, xepsMarkdown } from '../src/docs.js';

const root = new URL('../../../', import.meta.url);

describe('generated docs are up to date (run `pnpm gen:docs` after changing config or modules)', () => {
  it('docs/configuration.md lists every configuration key', () => {
    expect(readFileSync(new URL('docs/configuration.md', root), 'utf8')).toBe(
      configurationMarkdown(),
    );
  });
  it('docs/xeps.md lists every module declaration', () => {
    expect(readFileSync(new URL('docs/xeps.md', root), 'utf8')).toBe(xepsMarkdown());
  });
});

describe('example configuration files', () => {
  it('every deploy/config/*.json file is a valid configuration', async () => {
    const { readdirSync } = await import('node:fs');
    const { loadConfig } = await import('@parley/config');
    const dir = new URL('deploy/config/', root);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect(() => loadConfig({ file: new URL(f, dir).pathname, env: {} })).not.toThrow();
  });
});
