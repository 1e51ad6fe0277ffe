/**
 * Rendezvous hashing places partitions on registry workers: the placement
 * is part of the cluster's behaviour across a rolling upgrade (old and new
 * pods must agree on every owner), so it is pinned by known answers, and
 * its promises (one owner each, balance, minimal movement) are checked on
 * many member sets.
 */
import { fnv1a32 } from '@parley/hash';
import { describe, expect, it } from 'vitest';
import { ownerOf, partitionsFor } from '../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const placement = (members: readonly string[], partitions = 64) =>
  range(partitions).map((p) => ownerOf(p, members));

describe('rendezvous: known answers', () => {
  const members = ['registry-a', 'registry-b', 'registry-c'];

  it('places 16 partitions over three workers as pinned here (a change would split ownership between releases)', () => {
    expect(placement(members, 16)).toEqual([
      'registry-a', 'registry-c', 'registry-b', 'registry-a',
      'registry-a', 'registry-c', 'registry-b', 'registry-a',
      'registry-a', 'registry-c', 'registry-c', 'registry-a',
      'registry-a', 'registry-b', 'registry-c', 'registry-a',
    ]); // prettier-ignore
    expect(partitionsFor('registry-a', members, 16)).toEqual([0, 3, 4, 7, 8, 11, 12, 15]);
    expect(partitionsFor('registry-b', members, 16)).toEqual([2, 6, 13]);
    expect(partitionsFor('registry-c', members, 16)).toEqual([1, 5, 9, 10, 14]);
  });

  it('scores a member by FNV-1a of "<partition>:<member>" and takes the highest', () => {
    for (const p of range(16)) {
      const scores = members.map((m) => fnv1a32(`${p}:${m}`));
      expect(ownerOf(p, members)).toBe(members[scores.indexOf(Math.max(...scores))]);
    }
  });

  it('breaks a tie of scores for the smaller member id, whatever the order of the list', () => {
    // Two ids whose scores for partition 0 collide (found by search).
    expect(fnv1a32('0:3a37b815')).toBe(fnv1a32('0:540bdf81'));
    expect(ownerOf(0, ['3a37b815', '540bdf81'])).toBe('3a37b815');
    expect(ownerOf(0, ['540bdf81', '3a37b815'])).toBe('3a37b815');
  });
});

describe('rendezvous: properties', () => {
  const pools = [
    ['w1'],
    ['w1', 'w2'],
    ['a', 'b', 'c', 'd'],
    range(7).map((i) => `registry-${i}`),
    range(20).map((i) => `node-${i.toString(36)}`),
  ];

  it('no member, no owner', () => {
    expect(ownerOf(0, [])).toBeUndefined();
    expect(partitionsFor('w1', [], 8)).toEqual([]);
  });

  it.each(pools.map((p) => [p.length, p] as const))(
    '%i members: every partition has exactly one owner, and partitionsFor agrees with ownerOf',
    (_n, members) => {
      const owners = placement(members, 256);
      const union = members.flatMap((m) => partitionsFor(m, members, 256));
      expect(union.sort((a, b) => a - b)).toEqual(range(256));
      for (const m of members)
        expect(partitionsFor(m, members, 256)).toEqual(range(256).filter((p) => owners[p] === m));
    },
  );

  it.each(pools.map((p) => [p.length, p] as const))(
    '%i members: the placement does not depend on the order members are listed in',
    (_n, members) => {
      const reversed = [...members].reverse();
      const rotated = [...members.slice(1), ...members.slice(0, 1)];
      expect(placement(reversed, 256)).toEqual(placement(members, 256));
      expect(placement(rotated, 256)).toEqual(placement(members, 256));
    },
  );

  it('spreads 1024 partitions over 8 workers within 40% of the even share', () => {
    const members = range(8).map((i) => `registry-${i}`);
    for (const m of members) {
      const n = partitionsFor(m, members, 1024).length;
      expect(n).toBeGreaterThan(128 * 0.6);
      expect(n).toBeLessThan(128 * 1.4);
    }
  });

  it.each(pools.map((p) => [p.length, p] as const))(
    '%i members, one joins: only partitions the newcomer wins move, all of them to it',
    (_n, members) => {
      const before = placement(members, 512);
      const after = placement([...members, 'newcomer'], 512);
      const moved = range(512).filter((p) => before[p] !== after[p]);
      for (const p of moved) expect(after[p]).toBe('newcomer');
      expect(moved).toEqual(range(512).filter((p) => after[p] === 'newcomer'));
      // It takes roughly its share: more than half of 512 / (n + 1).
      expect(moved.length).toBeGreaterThan(512 / (members.length + 1) / 2);
    },
  );

  it.each(pools.filter((p) => p.length > 1).map((p) => [p.length, p] as const))(
    '%i members, one leaves: only its partitions move, spread over the others',
    (_n, members) => {
      const gone = members[members.length - 1]!;
      const rest = members.slice(0, -1);
      const before = placement(members, 512);
      const after = placement(rest, 512);
      for (const p of range(512)) {
        if (before[p] === gone) expect(rest).toContain(after[p]);
        else expect(after[p]).toBe(before[p]);
      }
      // Its partitions go to each one's runner-up, not all to one survivor.
      if (rest.length > 2) {
        const heirs = new Set(
          range(512)
            .filter((p) => before[p] === gone)
            .map((p) => after[p]),
        );
        expect(heirs.size).toBeGreaterThan(1);
      }
    },
  );

  it('a member that leaves and comes back gets exactly its partitions back', () => {
    const members = ['a', 'b', 'c', 'd', 'e'];
    const before = placement(members);
    const without = placement(members.filter((m) => m !== 'c'));
    expect(without).not.toEqual(before);
    expect(placement(members)).toEqual(before);
  });
});
