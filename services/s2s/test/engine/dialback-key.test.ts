import { describe, expect, it } from 'vitest';
import { dialbackKey, dialbackKeyMatches } from '../../src/engine/dialback-key.js';

describe('XEP-0185 dialback key', () => {
  it('matches the known answer of XEP-0185 section 3', () => {
    expect(dialbackKey('s3cr3tf0rd14lb4ck', 'xmpp.example.com', 'example.org', 'D60000229F')).toBe(
      '37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643',
    );
  });

  it('depends on every input', () => {
    const base = dialbackKey('s', 'r.example', 'o.example', 'id1');
    expect(dialbackKey('t', 'r.example', 'o.example', 'id1')).not.toBe(base);
    expect(dialbackKey('s', 'x.example', 'o.example', 'id1')).not.toBe(base);
    expect(dialbackKey('s', 'r.example', 'x.example', 'id1')).not.toBe(base);
    expect(dialbackKey('s', 'r.example', 'o.example', 'id2')).not.toBe(base);
  });

  it('compares received keys', () => {
    const key = dialbackKey('s', 'r.example', 'o.example', 'id1');
    expect(dialbackKeyMatches('s', 'r.example', 'o.example', 'id1', key)).toBe(true);
    expect(
      dialbackKeyMatches('s', 'r.example', 'o.example', 'id1', ` ${key.toUpperCase()}\n`),
    ).toBe(true);
    expect(dialbackKeyMatches('s', 'r.example', 'o.example', 'id2', key)).toBe(false);
    expect(dialbackKeyMatches('s', 'r.example', 'o.example', 'id1', 'abc')).toBe(false);
  });
});
