import { describe, expect, it } from 'vitest';
import { isValidSubject } from '@parley/bus';
import {
  decodeJidToken,
  encodeJidToken,
  partitionOf,
  routeSubject,
  gatewaySubject,
  orderingScopeOf,
} from './subjects.js';

describe('subject scheme', () => {
  it('encodes bare JIDs into one valid token and back', () => {
    for (const jid of [
      'alice@localhost',
      'a.b@example.org',
      'x*y>z@host',
      'sp ace@h',
      'jürgen@münchen.de',
      'example.org',
      '🦜@x',
    ]) {
      const tok = encodeJidToken(jid);
      expect(tok).not.toMatch(/[.*>\s]/);
      expect(/^[\x21-\x7e]+$/.test(tok)).toBe(true);
      expect(decodeJidToken(tok)).toBe(jid);
      expect(isValidSubject(routeSubject(jid, 64), false)).toBe(true);
    }
  });

  it('partitions are stable and spread', () => {
    expect(partitionOf('alice@localhost', 64)).toBe(partitionOf('alice@localhost', 64));
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(partitionOf(`user${i}@localhost`, 64));
    expect(seen.size).toBe(64);
  });

  it('rejects gateway ids that would break the subject', () => {
    expect(gatewaySubject('gw-1')).toBe('xmpp.gw.gw-1');
    expect(() => gatewaySubject('a.b')).toThrow();
  });
});

describe('orderingScopeOf', () => {
  it('maps a partitioned subject to its partition and keeps other subjects', () => {
    expect(orderingScopeOf(routeSubject('alice@example.org', 64))).toBe(
      `xmpp.r.${partitionOf('alice@example.org', 64)}`,
    );
    expect(orderingScopeOf('xmpp.muc.7.room%40conf')).toBe('xmpp.muc.7');
    expect(orderingScopeOf(gatewaySubject('gw-1'))).toBe('xmpp.gw.gw-1');
  });
});
