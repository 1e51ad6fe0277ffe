import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError } from '../test/helpers.js';

const H = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

describe('admin.tokens', () => {
  it('defaults to no token, the API disabled', () => {
    const c = loadConfig({ env: {} });
    expect(c.admin).toMatchObject({ enabled: false, tokens: [], port: 5285, host: '127.0.0.1' });
  });

  it('reads tokens from the file form (objects) and normalizes the hash', () => {
    const c = loadConfig({
      env: {},
      overrides: {
        admin: {
          tokens: [
            { name: 'ops', sha256: H.toUpperCase(), scopes: ['admin'] },
            { name: 'ro', sha256: H2, scopes: ['read'], domains: ['Example.org'] },
          ],
        },
      },
    });
    expect(c.admin.tokens).toEqual([
      { name: 'ops', sha256: H, scopes: ['admin'] },
      { name: 'ro', sha256: H2, scopes: ['read'], domains: ['example.org'] },
    ]);
  });

  it('reads tokens from the environment, as JSON or compact entries', () => {
    const json = loadConfig({
      env: { PARLEY_ADMIN_TOKENS: JSON.stringify([{ name: 'a', sha256: H, scopes: ['read'] }]) },
    });
    expect(json.admin.tokens).toEqual([{ name: 'a', sha256: H, scopes: ['read'] }]);
    const compact = loadConfig({
      env: { PARLEY_ADMIN_TOKENS: `a:${H}:read+admin, b:${H2}:read:x.org+y.org` },
    });
    expect(compact.admin.tokens).toEqual([
      { name: 'a', sha256: H, scopes: ['read', 'admin'] },
      { name: 'b', sha256: H2, scopes: ['read'], domains: ['x.org', 'y.org'] },
    ]);
  });

  it('refuses bad tokens with a message naming the key', () => {
    const bad = (tokens: unknown) =>
      configError(() => loadConfig({ env: {}, overrides: { admin: { tokens: tokens as never } } }))
        .message;
    expect(bad([{ name: 'a', sha256: 'secret', scopes: ['read'] }])).toMatch(
      /^admin\.tokens\[0\]: .*sha256/,
    );
    expect(bad([{ name: 'a', sha256: H, scopes: ['root'] }])).toMatch(/scopes/);
    expect(bad([{ name: 'a', sha256: H, scopes: ['read'], token: 'x' }])).toMatch(/no key token/);
    expect(
      bad([
        { name: 'a', sha256: H },
        { name: 'a', sha256: H2 },
      ]),
    ).toMatch(/unique token names/);
    expect(bad({})).toMatch(/list of tokens/);
    expect(() => loadConfig({ env: { PARLEY_ADMIN_TOKENS: 'a:short:read' } })).toThrow(
      /PARLEY_ADMIN_TOKENS/,
    );
  });
});
