import { describe, expect, it } from 'vitest';
import { AddressLimits } from './address-limits.js';
import type { AddressSlot } from './address-limits.js';

function limits(maxUnauthenticated: number, maxSessions: number) {
  const evicted: string[] = [];
  const l = new AddressLimits({ maxUnauthenticated, maxSessions });
  const open = (ip: string, name: string) => l.open(ip, () => evicted.push(name));
  return { l, open, evicted };
}

describe('AddressLimits', () => {
  it('evicts the oldest unauthenticated connection of an address at the cap, never the newcomer', () => {
    const { l, open, evicted } = limits(3, 0);
    const slots = ['a', 'b', 'c'].map((n) => open('192.0.2.1', n));
    open('192.0.2.2', 'other');
    expect(evicted).toEqual([]);
    const d = open('192.0.2.1', 'd');
    expect(evicted).toEqual(['a']);
    expect(slots[0]!.state).toBe('released');
    expect(d.state).toBe('unauthenticated');
    expect(l.counts('192.0.2.1')).toEqual({ unauthenticated: 3, sessions: 0 });
    // A released slot frees its place: the next one evicts nobody.
    l.release(slots[1]!);
    open('192.0.2.1', 'e');
    expect(evicted).toEqual(['a']);
    open('192.0.2.1', 'f');
    expect(evicted).toEqual(['a', 'c']);
    expect(l.counts('192.0.2.2')).toEqual({ unauthenticated: 1, sessions: 0 });
  });

  it('counts IPv6 clients by their /64', () => {
    const { l, open, evicted } = limits(2, 0);
    open('2001:db8:1:2::1', 'a');
    open('2001:db8:1:2::2', 'b');
    open('2001:db8:1:3::1', 'elsewhere');
    open('2001:db8:1:2:ffff::9', 'c');
    expect(evicted).toEqual(['a']);
    expect(l.counts('2001:db8:1:2::77')).toEqual({ unauthenticated: 2, sessions: 0 });
  });

  it('moves an authenticated connection out of the unauthenticated count', () => {
    const { l, open, evicted } = limits(2, 0);
    const a = open('192.0.2.1', 'a');
    expect(l.authenticate(a)).toBe(true);
    open('192.0.2.1', 'b');
    open('192.0.2.1', 'c');
    expect(evicted).toEqual([]);
    expect(l.counts('192.0.2.1')).toEqual({ unauthenticated: 2, sessions: 1 });
    l.release(a);
    l.release(a);
    expect(l.counts('192.0.2.1')).toEqual({ unauthenticated: 2, sessions: 0 });
  });

  it('refuses sessions beyond the session cap without touching open ones', () => {
    const { l, open, evicted } = limits(0, 2);
    const slots: AddressSlot[] = [];
    for (const n of ['a', 'b', 'c']) slots.push(open('192.0.2.1', n));
    expect(l.authenticate(slots[0]!)).toBe(true);
    expect(l.authenticate(slots[1]!)).toBe(true);
    expect(l.authenticate(slots[2]!)).toBe(false);
    expect(slots[2]!.state).toBe('unauthenticated');
    expect(slots.slice(0, 2).map((s) => s.state)).toEqual(['authenticated', 'authenticated']);
    expect(evicted).toEqual([]);
    // Another address is not affected, and a session that ends makes room.
    expect(l.authenticate(open('192.0.2.9', 'x'))).toBe(true);
    l.release(slots[0]!);
    expect(l.authenticate(slots[2]!)).toBe(true);
  });

  it('is unlimited with 0 and forgets addresses without connections', () => {
    const { l, open, evicted } = limits(0, 0);
    const slots = Array.from({ length: 1000 }, (_, i) => open('192.0.2.1', String(i)));
    for (const s of slots) expect(l.authenticate(s)).toBe(true);
    expect(evicted).toEqual([]);
    for (const s of slots) l.release(s);
    expect(l.addresses).toBe(0);
  });

  it('an evicted slot cannot authenticate, and its release changes nothing', () => {
    const { l, open } = limits(1, 0);
    const a = open('192.0.2.1', 'a');
    const b = open('192.0.2.1', 'b');
    expect(l.authenticate(a)).toBe(false);
    l.release(a);
    expect(l.counts('192.0.2.1')).toEqual({ unauthenticated: 1, sessions: 0 });
    expect(l.authenticate(b)).toBe(true);
  });

  it('a throwing evict does not stop the newcomer', () => {
    const l = new AddressLimits({ maxUnauthenticated: 1, maxSessions: 0 });
    l.open('192.0.2.1', () => {
      throw new Error('boom');
    });
    expect(l.open('192.0.2.1', () => undefined).state).toBe('unauthenticated');
  });
});
