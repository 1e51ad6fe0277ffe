import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTENT_TYPE,
  filenameProblem,
  keyPath,
  newSlotId,
  normalizeContentType,
  parseKeyPath,
} from './names.js';

describe('slot names', () => {
  it('accepts ordinary and non-ASCII file names', () => {
    for (const n of ['cat.jpg', 'Résumé 2024.pdf', '写真.png', '.hidden', 'a'.repeat(255)])
      expect(filenameProblem(n)).toBeUndefined();
  });

  it('refuses paths, control characters, empty and over-long names', () => {
    for (const n of ['', '.', '..', 'a/b', '..\\x', 'line\nbreak', 'nul\u0000', 'é'.repeat(128)])
      expect(filenameProblem(n)).toBeDefined();
  });

  it('content types: defaulted when absent, refused when malformed', () => {
    expect(normalizeContentType(undefined)).toBe(DEFAULT_CONTENT_TYPE);
    expect(normalizeContentType('')).toBe(DEFAULT_CONTENT_TYPE);
    expect(normalizeContentType('image/jpeg')).toBe('image/jpeg');
    expect(normalizeContentType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
    expect(normalizeContentType('text')).toBeUndefined();
    expect(normalizeContentType('text/plain\r\nX-Evil: 1')).toBeUndefined();
  });

  it('round-trips a key through its URL path, behind any prefix', () => {
    const key = { user: 'A'.repeat(20), slot: newSlotId(), filename: 'my file #1?.txt' };
    const path = keyPath(key);
    expect(path).not.toContain(' ');
    expect(parseKeyPath(`/${path}`)).toEqual(key);
    expect(parseKeyPath(`/files/upload/${path}?x=1`)).toEqual(key);
    expect(parseKeyPath('/short/x.txt')).toBeUndefined();
    expect(parseKeyPath(`/${key.user}/${key.slot}/..`)).toBeUndefined();
    expect(parseKeyPath(`/${key.user}/${key.slot}/%E0%A4%A`)).toBeUndefined();
    expect(parseKeyPath(`/${key.user}/bad.slot/x.txt`)).toBeUndefined();
  });

  it('slot ids are 128 random bits', () => {
    const a = newSlotId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newSlotId()).not.toBe(a);
  });
});
