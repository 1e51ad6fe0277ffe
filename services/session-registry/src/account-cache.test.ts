import { describe, expect, it } from 'vitest';
import { AccountCache } from './account-cache.js';

describe('AccountCache', () => {
  it('drops the least recently used account beyond its size', () => {
    const c = new AccountCache<number>(2);
    c.set('a@x', 1);
    c.set('b@x', 2);
    c.set('a@x', 3); // an update does not evict, and counts as a use
    expect(c.size).toBe(2);
    c.set('c@x', 4);
    expect(c.get('b@x')).toBeUndefined();
    expect(c.get('a@x')).toBe(3);
    expect(c.get('c@x')).toBe(4);
    c.get('a@x'); // a read counts as a use too
    c.set('d@x', 5);
    expect(c.get('c@x')).toBeUndefined();
    expect(c.get('a@x')).toBe(3);
  });

  it('forgets the accounts of a released partition', () => {
    const c = new AccountCache<number>();
    c.set('a@x', 1);
    c.set('b@y', 2);
    c.forget((owner) => owner.endsWith('@x'));
    expect(c.get('a@x')).toBeUndefined();
    expect(c.get('b@y')).toBe(2);
  });
});
