import { describe, expect, it } from 'vitest';
import { defaultConfig, describeConfig } from './index.js';

describe('describeConfig', () => {
  const entries = describeConfig();

  it('lists every key of the configuration exactly once', () => {
    const keys = entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    const leafKeys = (obj: object, prefix = ''): string[] =>
      Object.entries(obj).flatMap(([k, v]) =>
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? leafKeys(v as object, `${prefix}${k}.`)
          : [`${prefix}${k}`],
      );
    const withValues = leafKeys(defaultConfig());
    for (const k of withValues) expect(keys).toContain(k);
    expect(keys).toContain('tls.certFile');
    expect(keys).toContain('modules.version.showOs');
  });

  it('gives each key a type, a default, a doc string and its environment variable', () => {
    for (const e of entries) {
      expect(e.type).not.toBe('');
      expect(e.doc.length).toBeGreaterThan(10);
      expect(e.env).toMatch(/^PARLEY_[A-Z0-9_]+$/);
    }
    expect(entries.find((e) => e.key === 'c2s.port')).toMatchObject({
      type: 'integer 0-65535',
      default: 5222,
      env: 'PARLEY_C2S_PORT',
    });
    expect(entries.find((e) => e.key === 'c2s.maxStanzaBytes')?.env).toBe(
      'PARLEY_C2S_MAX_STANZA_BYTES',
    );
    expect(entries.find((e) => e.key === 'server.nodeId')?.default).toBe('<hostname>');
    expect(entries.find((e) => e.key === 'bus.kind')?.type).toBe("'memory' | 'nats'");
  });
});
