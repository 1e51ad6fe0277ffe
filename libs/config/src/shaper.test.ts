import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError } from '../test/helpers.js';

describe('traffic shaping and queue bounds', () => {
  it('defaults: shaping on, low before authentication, higher after; byte-bounded queues', () => {
    const c = loadConfig({ env: {} });
    expect(c.shaper).toEqual({
      enabled: true,
      unauthenticated: {
        bytesPerSecond: 8_192,
        burstBytes: 32_768,
        stanzasPerSecond: 10,
        burstStanzas: 30,
      },
      authenticated: {
        bytesPerSecond: 65_536,
        burstBytes: 1_048_576,
        stanzasPerSecond: 50,
        burstStanzas: 300,
      },
      exemptJids: [],
    });
    expect(c.c2s.maxPendingOutputBytes).toBe(8_388_608);
    expect(c.sm.maxQueueBytes).toBe(4_194_304);
    expect(c.csi.maxQueuedBytes).toBe(262_144);
  });

  it('reads the environment', () => {
    const c = loadConfig({
      env: {
        PARLEY_SHAPER_ENABLED: 'false',
        PARLEY_SHAPER_AUTHENTICATED_STANZAS_PER_SECOND: '0',
        PARLEY_SHAPER_UNAUTHENTICATED_BURST_BYTES: '65536',
        PARLEY_SHAPER_EXEMPT_JIDS: 'bot@example.org, bridge@example.org',
        PARLEY_SM_MAX_QUEUE_BYTES: '1048576',
        PARLEY_CSI_MAX_QUEUED_BYTES: '8192',
        PARLEY_C2S_MAX_PENDING_OUTPUT_BYTES: '2097152',
      },
    });
    expect(c.shaper.enabled).toBe(false);
    expect(c.shaper.authenticated.stanzasPerSecond).toBe(0);
    expect(c.shaper.unauthenticated.burstBytes).toBe(65_536);
    expect(c.shaper.exemptJids).toEqual(['bot@example.org', 'bridge@example.org']);
    expect(c.sm.maxQueueBytes).toBe(1_048_576);
    expect(c.csi.maxQueuedBytes).toBe(8_192);
    expect(c.c2s.maxPendingOutputBytes).toBe(2_097_152);
  });

  it('refuses what cannot work, naming the key', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ PARLEY_SHAPER_EXEMPT_JIDS: 'bot@example.org/phone' }, 'shaper.exemptJids', /bare JIDs/],
      [{ PARLEY_SHAPER_AUTHENTICATED_BURST_BYTES: '0' }, 'shaper.authenticated.burstBytes', /./],
      [
        { PARLEY_SM_MAX_QUEUE_BYTES: '100000' },
        'sm.maxQueueBytes',
        /at least c2s\.maxStanzaBytes \(262144\)/,
      ],
      [
        { PARLEY_C2S_MAX_PENDING_OUTPUT_BYTES: '4194304' },
        'c2s.maxPendingOutputBytes',
        /at least sm\.maxQueueBytes \+ c2s\.maxStanzaBytes \(4456448\)/,
      ],
    ];
    for (const [env, key, message] of cases) {
      const err = configError(() => loadConfig({ env }));
      expect(err.key).toBe(key);
      expect(err.message).toMatch(message);
    }
  });
});
