import { describe, expect, it } from 'vitest';
import { isValidSubject } from '@parley/bus';
import { fnv1a32 } from '@parley/hash';
import { mucSubject } from './muc.js';
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

  it('percent-encodes each code point as its UTF-8 bytes (known answers)', () => {
    expect(encodeJidToken('a.b@example.org')).toBe('a%2Eb@example%2Eorg');
    expect(encodeJidToken('jürgen@h')).toBe('j%C3%BCrgen@h');
    expect(encodeJidToken('🦜@x')).toBe('%F0%9F%A6%9C@x');
    expect(encodeJidToken('plain@host')).toBe('plain@host');
  });

  it('routes by the partition count given, also for a cached account', () => {
    const jid = 'cached@example.org';
    expect(routeSubject(jid, 64)).toBe(`xmpp.r.${fnv1a32(jid) % 64}.cached@example%2Eorg`);
    expect(routeSubject(jid, 64)).toBe(routeSubject(jid, 64));
    expect(routeSubject(jid, 7)).toBe(`xmpp.r.${fnv1a32(jid) % 7}.cached@example%2Eorg`);
  });

  it('partitions are spread', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(partitionOf(`user${i}@localhost`, 64));
    expect(seen.size).toBe(64);
  });

  it('rejects gateway ids that would break the subject', () => {
    expect(gatewaySubject('gw-1')).toBe('xmpp.gw.gw-1');
    expect(() => gatewaySubject('a.b')).toThrow();
  });
});

/**
 * Known answers, captured from the release that introduced them: the
 * partition of a bare JID decides which worker owns an account (and a MUC
 * room) and is part of every route subject. Pods of two releases run side
 * by side during a rolling upgrade, so a changed hash would send one
 * account's stanzas to two owners. These must never change.
 */
describe('partition hash: known answers', () => {
  const vectors: [string, number, number, number][] = [
    // bare JID, fnv1a32 (over UTF-16 code units), partition of 64, of 16
    ['', 0x811c9dc5, 5, 5],
    ['a', 0xe40c292c, 44, 12],
    ['alice@localhost', 0xea2230da, 26, 10],
    ['alice@example.org', 0x818ec9d1, 17, 1],
    ['room@conference.example.org', 0x7e45fd74, 52, 4],
    ['example.org', 0x2d8e29b1, 49, 1],
    ['jürgen@münchen.de', 0x3e8b8d2f, 47, 15],
    ['ΣΑΣ@example.com', 0x3205784f, 15, 15],
    ['🦜@x', 0x8a044907, 7, 7],
  ];

  it.each(vectors)('%j hashes to %i', (jid, hash, p64, p16) => {
    expect(fnv1a32(jid)).toBe(hash);
    expect(partitionOf(jid, 64)).toBe(p64);
    expect(partitionOf(jid, 16)).toBe(p16);
  });

  it('puts the partition into route and MUC subjects', () => {
    expect(routeSubject('jürgen@münchen.de', 64)).toBe('xmpp.r.47.j%C3%BCrgen@m%C3%BCnchen%2Ede');
    expect(mucSubject('room@conference.example.org', 16)).toBe(
      'xmpp.muc.4.room@conference%2Eexample%2Eorg',
    );
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
