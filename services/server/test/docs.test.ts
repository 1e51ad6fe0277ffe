import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationMarkdown, xepsMarkdown } from '../src/docs.js';

const root = new URL('../../../', import.meta.url);

describe('generated docs are up to date (run `pnpm gen:docs` after changing config or modules)', () => {
  it('docs/configuration.md lists every configuration key', () => {
    expect(readFileSync(new URL('docs/configuration.md', root), 'utf8')).toBe(configurationMarkdown());
  });
  it('docs/xeps.md lists every module declaration', () => {
    expect(readFileSync(new URL('docs/xeps.md', root), 'utf8')).toBe(xepsMarkdown());
  });
});
