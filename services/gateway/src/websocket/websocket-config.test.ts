/** The `websocket` configuration section: defaults, environment, and the checks loadConfig applies. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';

const load = (overrides: DeepPartial<Config> = {}, env: NodeJS.ProcessEnv = {}) =>
  loadConfig({ env, overrides });

function refusal(overrides: DeepPartial<Config>, env: NodeJS.ProcessEnv = {}): string {
  try {
    load(overrides, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('websocket configuration', () => {
  it('is off by default; when on: ws:// on loopback 5290, wss:// on 5291, path /xmpp-websocket', () => {
    expect(load().websocket).toEqual({
      enabled: false,
      listeners: ['ws', 'wss'],
      port: 5290,
      host: '127.0.0.1',
      tlsPort: 5291,
      tlsHost: '0.0.0.0',
      path: '/xmpp-websocket',
      plainIsSecure: false,
      allowedOrigins: [],
      trustedProxies: [],
      pingIntervalMs: 30_000,
      publicUrls: [],
    });
  });

  it('reads PARLEY_WEBSOCKET_* variables', () => {
    const ws = load(
      {},
      {
        PARLEY_WEBSOCKET_ENABLED: 'true',
        PARLEY_WEBSOCKET_LISTENERS: 'wss',
        PARLEY_WEBSOCKET_TLS_PORT: '443',
        PARLEY_WEBSOCKET_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443',
        PARLEY_WEBSOCKET_PING_INTERVAL_MS: '20s',
        PARLEY_WEBSOCKET_PUBLIC_URLS: 'wss://chat.example.org/xmpp',
      },
    ).websocket;
    expect(ws).toMatchObject({
      enabled: true,
      listeners: ['wss'],
      tlsPort: 443,
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
      pingIntervalMs: 20_000,
      publicUrls: ['wss://chat.example.org/xmpp'],
    });
    expect(refusal({}, { PARLEY_WEBSOCKET_LISTENERS: 'http' })).toMatch(/websocket\.listeners/);
  });

  it('refuses bad paths, URLs and origins', () => {
    expect(refusal({ websocket: { path: 'xmpp' } })).toMatch(/websocket\.path/);
    expect(refusal({ websocket: { path: '/a b' } })).toMatch(/websocket\.path/);
    expect(refusal({ websocket: { publicUrls: ['https://x.org/ws'] } })).toMatch(
      /websocket\.publicUrls/,
    );
    expect(refusal({ websocket: { allowedOrigins: ['https://x.org/path'] } })).toMatch(
      /websocket\.allowedOrigins/,
    );
    expect(refusal({ websocket: { allowedOrigins: ['x.org'] } })).toMatch(
      /websocket\.allowedOrigins/,
    );
    expect(refusal({ websocket: { publicUrls: ['wss://x.org/ws'], path: '/ws' } })).toBe(
      'accepted',
    );
  });

  it('refuses enabled listeners on a port another listener uses', () => {
    expect(
      refusal({ websocket: { enabled: true, port: 5222 }, c2s: { host: '127.0.0.1' } }),
    ).toMatch(/websocket\.port: 5222 is already used by c2s\.port/);
    expect(refusal({ websocket: { enabled: true, tlsPort: 5290, tlsHost: '0.0.0.0' } })).toMatch(
      /websocket\.tlsPort: 5290 is already used by websocket\.port/,
    );
    expect(refusal({ websocket: { enabled: true, tlsPort: 5280 } })).toMatch(/http\.port/);
    // Different addresses, ephemeral ports, a listener that does not run, or WebSocket off: fine.
    expect(
      refusal({
        websocket: {
          enabled: true,
          port: 5300,
          host: '127.0.0.1',
          tlsPort: 5300,
          tlsHost: '10.0.0.1',
        },
      }),
    ).toBe('accepted');
    expect(refusal({ websocket: { enabled: true, port: 0, tlsPort: 0 } })).toBe('accepted');
    expect(refusal({ websocket: { enabled: true, listeners: ['wss'], port: 5222 } })).toBe(
      'accepted',
    );
    expect(refusal({ websocket: { port: 5222 } })).toBe('accepted');
  });
});
