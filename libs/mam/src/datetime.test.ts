import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from './datetime.js';

describe('parseDateTime (XEP-0082)', () => {
  it('reads UTC and offset forms', () => {
    expect(parseDateTime('2010-07-10T23:08:25Z')).toBe(Date.UTC(2010, 6, 10, 23, 8, 25));
    expect(parseDateTime('2010-07-10T23:08:25.123Z')).toBe(Date.UTC(2010, 6, 10, 23, 8, 25, 123));
    expect(parseDateTime('2010-07-11T01:08:25+02:00')).toBe(Date.UTC(2010, 6, 10, 23, 8, 25));
    expect(parseDateTime('2010-07-10T20:38:25-02:30')).toBe(Date.UTC(2010, 6, 10, 23, 8, 25));
    expect(parseDateTime('2012-02-29T00:00:00Z')).toBe(Date.UTC(2012, 1, 29));
  });

  it('rounds fractions finer than a millisecond as the bound needs', () => {
    expect(parseDateTime('2010-07-10T23:08:25.1234Z', 'floor')).toBe(
      Date.UTC(2010, 6, 10, 23, 8, 25, 123),
    );
    expect(parseDateTime('2010-07-10T23:08:25.1231Z', 'ceil')).toBe(
      Date.UTC(2010, 6, 10, 23, 8, 25, 124),
    );
    expect(parseDateTime('2010-07-10T23:08:25.1230000Z', 'ceil')).toBe(
      Date.UTC(2010, 6, 10, 23, 8, 25, 123),
    );
    expect(parseDateTime('2010-07-10T23:08:25.5Z')).toBe(Date.UTC(2010, 6, 10, 23, 8, 25, 500));
  });

  it.each([
    '',
    'yesterday',
    '2010-07-10',
    '2010-07-10T23:08:25',
    '2010-07-10 23:08:25Z',
    '2010-07-10t23:08:25z',
    '2010-13-10T23:08:25Z',
    '2010-02-30T23:08:25Z',
    '2011-02-29T00:00:00Z',
    '2010-07-10T24:00:00Z',
    '2010-07-10T23:60:00Z',
    '2010-07-10T23:08:60Z',
    '2010-07-10T23:08:25+2:00',
    '2010-07-10T23:08:25+24:00',
    '2010-07-10T23:08:25.Z',
    '10-07-10T23:08:25Z',
  ])('refuses %j', (s) => {
    expect(parseDateTime(s)).toBeUndefined();
  });

  it('formats in UTC with milliseconds', () => {
    expect(formatDateTime(Date.UTC(2010, 6, 10, 23, 8, 25, 7))).toBe('2010-07-10T23:08:25.007Z');
  });
});
