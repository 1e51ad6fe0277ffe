import { describe, expect, it } from 'vitest';
import { JIDError } from './errors.js';
import { JID } from './jid.js';
import { parseJID } from './parse.js';

describe('JID constructor', () => {
  it('normalizes each part', () => {
    const jid = new JID('Juliet', 'Example.COM.', 'Balcony');
    expect(jid.local).toBe('juliet');
    expect(jid.domain).toBe('example.com');
    expect(jid.resource).toBe('Balcony');
  });

  it('treats empty local and resource as absent', () => {
    const jid = new JID('', 'example.com', '');
    expect(jid.toString()).toBe('example.com');
    expect(new JID('', 'example.com').isBare()).toBe(true);
  });

  it('refuses an empty domain', () => {
    expect(() => new JID('juliet', '')).toThrowError(JIDError);
  });

  it('refuses characters the separators would make ambiguous', () => {
    expect(() => new JID('a@b', 'example.com')).toThrowError(/must not contain '@'/);
    expect(() => new JID('a/b', 'example.com')).toThrowError(JIDError);
    expect(() => new JID('a', 'exam/ple.com')).toThrowError(JIDError);
  });

  it('round-trips through toString and parseJID', () => {
    const jid = new JID('ΣΑΣ', 'Bücher.example', 'Home Ⅳ');
    expect(parseJID(jid.toString()).equals(jid)).toBe(true);
  });
});

describe('bare and full JIDs', () => {
  const full = parseJID('romeo@montague.example/orchard');
  const bare = parseJID('romeo@montague.example');

  it('isBare distinguishes bare from full', () => {
    expect(full.isBare()).toBe(false);
    expect(bare.isBare()).toBe(true);
  });

  it('bare() drops the resource and returns itself when already bare', () => {
    expect(full.bare().toString()).toBe('romeo@montague.example');
    expect(full.bare().equals(bare)).toBe(true);
    expect(bare.bare()).toBe(bare);
  });

  it('toBareString omits the resource', () => {
    expect(full.toBareString()).toBe('romeo@montague.example');
    expect(parseJID('montague.example/x').toBareString()).toBe('montague.example');
  });

  it('withResource validates and normalizes the new resource', () => {
    const other = bare.withResource('balcony\u00a0window');
    expect(other.toString()).toBe('romeo@montague.example/balcony window');
    expect(full.withResource('')).toEqual(bare);
    expect(() => bare.withResource('bad\u0007')).toThrowError(JIDError);
  });

  it('equals compares normalized parts', () => {
    expect(parseJID('ROMEO@Montague.Example/orchard').equals(full)).toBe(true);
    expect(parseJID('romeo@montague.example/Orchard').equals(full)).toBe(false);
    expect(full.equals(bare)).toBe(false);
    expect(parseJID('montague.example').equals(parseJID('Montague.Example.'))).toBe(true);
  });
});
