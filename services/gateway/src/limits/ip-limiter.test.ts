import { describe, expect, it } from 'vitest';
import { IpLimiter } from './ip-limiter.js';

describe('IpLimiter', () => {
  it('allows up to the limit per address and frees slots on release', () => {
    const l = new IpLimiter(2);
    expect(l.acquire('a')).toBe(true);
    expect(l.acquire('a')).toBe(true);
    expect(l.acquire('a')).toBe(false);
    expect(l.acquire('b')).toBe(true);
    l.release('a');
    expect(l.acquire('a')).toBe(true);
    l.release('b');
    expect(l.count('b')).toBe(0);
  });

  it('is unlimited with 0', () => {
    const l = new IpLimiter(0);
    for (let i = 0; i < 1000; i++) expect(l.acquire('a')).toBe(true);
  });
});
