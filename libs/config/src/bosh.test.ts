import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError } from '../test/helpers.js';

describe('bosh settings (XEP-0124/0206)', () => {
  it('defaults: off, /http-bind, 60 s wait and inactivity, hold 1, 120 s pause, 1 MiB bodies', () => {
    expect(loadConfig({ env: {} }).bosh).toEqual({
      enabled: false,
      path: '/http-bind',
      maxWaitMs: 60_000,
      maxInactivityMs: 60_000,
      maxHold: 1,
      maxPauseMs: 120_000,
      pollingMs: 2_000,
      maxRequestBytes: 1_048_576,
      allowedOrigins: [],
      publicUrls: [],
    });
  });

  it('reads the environment', () => {
    const c = loadConfig({
      env: {
        PARLEY_WEBSOCKET_ENABLED: 'true',
        PARLEY_BOSH_ENABLED: 'true',
        PARLEY_BOSH_MAX_WAIT_MS: '30s',
        PARLEY_BOSH_ALLOWED_ORIGINS: 'https://chat.example.org',
        PARLEY_BOSH_PUBLIC_URLS: 'https://xmpp.example.org/http-bind',
      },
    });
    expect(c.bosh).toMatchObject({
      enabled: true,
      maxWaitMs: 30_000,
      allowedOrigins: ['https://chat.example.org'],
      publicUrls: ['https://xmpp.example.org/http-bind'],
    });
  });

  it('refuses what cannot work, naming the key', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ PARLEY_BOSH_ENABLED: 'true' }, 'bosh.enabled', /websocket\.enabled/],
      [{ PARLEY_BOSH_PATH: 'http-bind' }, 'bosh.path', /absolute URL path/],
      [
        {
          PARLEY_WEBSOCKET_ENABLED: 'true',
          PARLEY_BOSH_ENABLED: 'true',
          PARLEY_BOSH_PATH: '/xmpp-websocket',
        },
        'bosh.path',
        /differ from websocket\.path/,
      ],
      [
        { PARLEY_BOSH_PUBLIC_URLS: 'ws://x.example/http-bind' },
        'bosh.publicUrls',
        /http:\/\/ or https:\/\//,
      ],
      [
        { PARLEY_BOSH_ALLOWED_ORIGINS: 'https://chat.example.org/page' },
        'bosh.allowedOrigins',
        /origins/,
      ],
      [
        {
          PARLEY_WEBSOCKET_ENABLED: 'true',
          PARLEY_BOSH_ENABLED: 'true',
          PARLEY_C2S_MAX_STANZA_BYTES: '2000000',
        },
        'bosh.maxRequestBytes',
        /at least c2s\.maxStanzaBytes/,
      ],
      [{ PARLEY_BOSH_MAX_HOLD: '0' }, 'bosh.maxHold', /./],
    ];
    for (const [env, key, message] of cases) {
      const err = configError(() => loadConfig({ env }));
      expect(err.key).toBe(key);
      expect(err.message).toMatch(message);
    }
  });
});
