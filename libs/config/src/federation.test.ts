import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError, testFiles } from '../test/helpers.js';

const { write } = testFiles('parley-config-fed-');
let n = 0;
const file = (content: unknown) => write(`fed-${++n}.json`, JSON.stringify(content));

describe('federation settings (s2s, components)', () => {
  it('defaults: federation off, STARTTLS required, dialback allowed, no component port', () => {
    const c = loadConfig({ env: {} });
    expect(c.s2s).toMatchObject({
      enabled: false,
      port: 5269,
      directTlsPort: 0,
      requireTls: true,
      secureAuth: false,
      resolvers: [],
      overrides: [],
      partitions: 16,
    });
    expect(c.components).toEqual({ port: 0, host: '127.0.0.1', list: [] });
  });

  it('reads components from a file (inline secret or secret file) and from the environment', () => {
    const secretFile = write('bot.secret', '  s3cret-from-file\n');
    const c = loadConfig({
      file: file({
        components: {
          port: 5347,
          list: [
            { domain: 'Bot.Example.org', secret: 'inline-secret' },
            { domain: 'push.example.org', secretFile },
          ],
        },
      }),
      env: {},
    });
    expect(c.components.list).toEqual([
      { domain: 'bot.example.org', secret: 'inline-secret' },
      { domain: 'push.example.org', secret: 's3cret-from-file' },
    ]);
    const e = loadConfig({
      env: { PARLEY_COMPONENTS_LIST: 'bot.example.org=a=b=c-secret, gw.example.org=another1' },
    });
    expect(e.components.list).toEqual([
      { domain: 'bot.example.org', secret: 'a=b=c-secret' },
      { domain: 'gw.example.org', secret: 'another1' },
    ]);
    const j = loadConfig({
      env: { PARLEY_COMPONENTS_LIST: '[{"domain":"bot.example.org","secret":"json-secret"}]' },
    });
    expect(j.components.list).toEqual([{ domain: 'bot.example.org', secret: 'json-secret' }]);
  });

  it('refuses bad components with the key named and never shows the secret', () => {
    const bad: unknown[] = [
      [{ domain: 'bot.example.org' }],
      [{ domain: 'bot.example.org', secret: 'long-enough', secretFile: '/x' }],
      [{ domain: 'not a domain', secret: 'long-enough' }],
      [{ domain: 'bot.example.org', secret: 'short' }],
      [
        { domain: 'bot.example.org', secret: 'long-enough' },
        { domain: 'bot.example.org', secret: 'long-enough2' },
      ],
      [{ domain: 'bot.example.org', secretFile: '/nonexistent/secret' }],
      [{ domain: 'bot.example.org', secret: 'long-enough', extra: 1 }],
      'bot.example.org=long-enough',
    ];
    for (const list of bad) {
      const err = configError(() => loadConfig({ file: file({ components: { list } }), env: {} }));
      expect(err.key).toBe('components.list');
      expect(err.message).not.toMatch(/long-enough|short/);
    }
    const env = configError(() =>
      loadConfig({ env: { PARLEY_COMPONENTS_LIST: 'bot.example.org' } }),
    );
    expect(env.key).toBe('components.list');
  });
});
