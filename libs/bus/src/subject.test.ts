import { describe, expect, it } from 'vitest';
import { subjectMatcher, subjectMatches } from './subject.js';

describe('subjectMatcher', () => {
  const patterns = [
    'a',
    'a.b',
    'a.b.*',
    'a.b.>',
    'a.*.c',
    '*',
    '>',
    'a.*',
    'xmpp.r.7.*',
    'xmpp.gw.g1',
  ];
  const subjects = [
    'a',
    'b',
    'a.b',

    'a.b.c',
    'a.b.c.d',
    'a.x.c',
    'ab.c',

    'xmpp.r.7.u',
    'xmpp.r.7.u.v',
    'xmpp.r.77.u',
    'xmpp.r.7',
    'xmpp.gw.g1',
    'xmpp.gw.g10',
  ];
  // Valid subjects only: publish refuses the others (empty tokens, wildcards).
  it('agrees with subjectMatches', () => {
    for (const p of patterns) {
      const m = subjectMatcher(p);
      for (const s of subjects) expect([p, s, m(s)]).toEqual([p, s, subjectMatches(p, s)]);
    }
  });
});
