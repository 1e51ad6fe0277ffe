import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError, testFiles } from '../test/helpers.js';

const { write } = testFiles('parley-c2s-limits-test-');

describe('c2s connection limits', () => {
  it('reads the per-address caps and timeouts', () => {
    const config = loadConfig({
      env: {
        PARLEY_C2S_MAX_UNAUTHENTICATED_PER_ADDRESS: '5',
        PARLEY_C2S_MAX_SESSIONS_PER_ADDRESS: '0',
        PARLEY_C2S_TLS_HANDSHAKE_TIMEOUT_MS: '2s',
        PARLEY_C2S_IDLE_PROBE_TIMEOUT_MS: '0',
      },
    });
    expect(config.c2s).toMatchObject({
      maxUnauthenticatedPerAddress: 5,
      maxSessionsPerAddress: 0,
      tlsHandshakeTimeoutMs: 2000,
      idleProbeTimeoutMs: 0,
    });
  });

  it('stops on the removed c2s.maxConnectionsPerIp, naming its replacements', () => {
    const file = write('old.json', JSON.stringify({ c2s: { maxConnectionsPerIp: 100 } }));
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.key).toBe('c2s.maxConnectionsPerIp');
    expect(err.message).toContain('was removed');
    expect(err.message).toContain('c2s.maxUnauthenticatedPerAddress');
    expect(err.message).toContain('c2s.maxSessionsPerAddress');
    expect(err.message).toContain(file);

    const fromEnv = configError(() =>
      loadConfig({ env: { PARLEY_C2S_MAX_CONNECTIONS_PER_IP: '0' } }),
    );
    expect(fromEnv.message).toMatch(/^PARLEY_C2S_MAX_CONNECTIONS_PER_IP: this key was removed/);
    expect(fromEnv.message).toContain('c2s.maxSessionsPerAddress');
  });
});
