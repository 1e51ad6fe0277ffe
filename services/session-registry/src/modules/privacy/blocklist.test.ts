import { parseJID } from '@parley/jid';
import { describe, expect, it } from 'vitest';
import { Blocklist } from './blocklist.js';

const blocked = (items: string[], jid: string) => Blocklist.of(items).matches(parseJID(jid));

describe('Blocklist (XEP-0191 JID matching)', () => {
  it('matches nothing when empty', () => {
    expect(Blocklist.of([])).toBe(Blocklist.EMPTY);
    expect(blocked([], 'romeo@montague.example/orchard')).toBe(false);
  });

  it('a full-JID item matches that resource only', () => {
    const items = ['romeo@montague.example/orchard'];
    expect(blocked(items, 'romeo@montague.example/orchard')).toBe(true);
    expect(blocked(items, 'romeo@montague.example/balcony')).toBe(false);
    expect(blocked(items, 'romeo@montague.example')).toBe(false);
  });

  it('a bare item matches every resource of the account and the bare JID', () => {
    const items = ['romeo@montague.example'];
    expect(blocked(items, 'romeo@montague.example')).toBe(true);
    expect(blocked(items, 'romeo@montague.example/orchard')).toBe(true);
    expect(blocked(items, 'benvolio@montague.example')).toBe(false);
  });

  it('a domain/resource item matches that resource of the domain itself', () => {
    const items = ['montague.example/bot'];
    expect(blocked(items, 'montague.example/bot')).toBe(true);
    expect(blocked(items, 'montague.example')).toBe(false);
    expect(blocked(items, 'romeo@montague.example/bot')).toBe(false);
  });

  it('a domain item matches the domain, its accounts and resources, and its subdomains', () => {
    const items = ['montague.example'];
    for (const jid of [
      'montague.example',
      'montague.example/bot',
      'romeo@montague.example',
      'romeo@montague.example/orchard',
      'chat.montague.example',
      'room@chat.montague.example/nick',
    ])
      expect(blocked(items, jid)).toBe(true);
    expect(blocked(items, 'capulet.example')).toBe(false);
    expect(blocked(items, 'notmontague.example')).toBe(false);
  });

  it('compares normalized JIDs', () => {
    expect(blocked(['romeo@montague.example'], 'Romeo@MONTAGUE.example/Orchard')).toBe(true);
  });
});
