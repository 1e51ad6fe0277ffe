import { describe, expect, it } from 'vitest';
import { bareOf, domainOf, resourceOf } from './parts.js';

describe('bareOf, resourceOf, domainOf', () => {
  it('splits a full JID at the first slash', () => {
    expect(bareOf('juliet@example.com/balcony')).toBe('juliet@example.com');
    expect(resourceOf('juliet@example.com/balcony')).toBe('balcony');
    expect(domainOf('juliet@example.com/balcony')).toBe('example.com');
  });

  it('keeps a slash and an at sign inside the resource (RFC 7622 section 3.1)', () => {
    const full = 'juliet@example.com/foo/bar@baz/qux';
    expect(bareOf(full)).toBe('juliet@example.com');
    expect(resourceOf(full)).toBe('foo/bar@baz/qux');
    expect(domainOf(full)).toBe('example.com');
  });

  it('returns a bare JID unchanged and no resource', () => {
    expect(bareOf('juliet@example.com')).toBe('juliet@example.com');
    expect(resourceOf('juliet@example.com')).toBeUndefined();
    expect(domainOf('juliet@example.com')).toBe('example.com');
  });

  it('handles domain-only JIDs, with and without a resource', () => {
    expect(bareOf('example.com')).toBe('example.com');
    expect(resourceOf('example.com')).toBeUndefined();
    expect(domainOf('example.com')).toBe('example.com');
    expect(bareOf('example.com/component')).toBe('example.com');
    expect(resourceOf('example.com/component')).toBe('component');
    expect(domainOf('example.com/a@b')).toBe('example.com');
  });

  it('keeps non-ASCII parts as they are', () => {
    expect(bareOf('jürgen@münchen.de/Küche')).toBe('jürgen@münchen.de');
    expect(resourceOf('jürgen@münchen.de/Küche')).toBe('Küche');
  });

  it('keeps an empty resource and an empty string distinguishable', () => {
    expect(resourceOf('juliet@example.com/')).toBe('');
    expect(bareOf('')).toBe('');
    expect(resourceOf('')).toBeUndefined();
  });
});
