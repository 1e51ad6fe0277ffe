import { describe, expect, it } from 'vitest';
import { JIDError } from './errors.js';
import { escapeLocal, unescapeLocal } from './escape.js';
import { normalizeLocalpart } from './localpart.js';

describe('XEP-0106 JID escaping', () => {
  it.each<[string, string]>([
    ['space cadet', 'space\\20cadet'],
    ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
    ['at&t guy', 'at\\26t\\20guy'],
    ["d'artagnan", 'd\\27artagnan'],
    ['/.fanboy', '\\2f.fanboy'],
    ['::foo::', '\\3a\\3afoo\\3a\\3a'],
    ['<foo>', '\\3cfoo\\3e'],
    ['user@host', 'user\\40host'],
    ['c:\\5commas', 'c\\3a\\5c5commas'],
    ['\\5c', '\\5c5c'],
  ])('escapes %j as %j and back', (raw, escaped) => {
    expect(escapeLocal(raw)).toBe(escaped);
    expect(unescapeLocal(escaped)).toBe(raw);
  });

  it('leaves backslashes that do not start an escape sequence alone', () => {
    expect(escapeLocal('foo\\bar')).toBe('foo\\bar');
    expect(escapeLocal('c:\\net')).toBe('c\\3a\\net');
    expect(unescapeLocal('c\\3a\\5cnet')).toBe('c:\\net');
  });

  it('ignores partial, unknown and uppercase sequences when unescaping', () => {
    expect(unescapeLocal('\\2plus\\2is\\4')).toBe('\\2plus\\2is\\4');
    expect(unescapeLocal('foob\\41r')).toBe('foob\\41r');
    expect(unescapeLocal('a\\2Fb')).toBe('a\\2Fb');
  });

  it('refuses leading or trailing spaces', () => {
    expect(() => escapeLocal(' lead')).toThrowError(JIDError);
    expect(() => escapeLocal('trail ')).toThrowError(JIDError);
  });

  it('round-trips awkward strings and always yields a valid localpart', () => {
    const samples = [
      'a\\20b',
      '\\\\20',
      '\\ @',
      'x\\2@',
      "mixed \\27 and ' and \\5c",
      'a"b&c\'d/e:f<g>h@i\\j',
    ];
    for (const raw of samples) {
      const escaped = escapeLocal(raw);
      expect(unescapeLocal(escaped)).toBe(raw);
      expect(() => normalizeLocalpart(escaped)).not.toThrow();
    }
  });
});
