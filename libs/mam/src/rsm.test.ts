import { describe, expect, it } from 'vitest';
import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { parseRsm, rsmReply } from './rsm.js';

const NS = 'http://jabber.org/protocol/rsm';
const q = (set: string) => parseXml(`<query xmlns='urn:xmpp:mam:2'>${set}</query>`);

describe('parseRsm', () => {
  it('is undefined without a <set/>', () => {
    expect(parseRsm(q(''))).toBeUndefined();
  });

  it('reads max, after, before and index', () => {
    expect(parseRsm(q(`<set xmlns='${NS}'><max>10</max><after>abc</after></set>`))).toEqual({
      max: 10,
      after: 'abc',
    });
    expect(parseRsm(q(`<set xmlns='${NS}'><max>0</max><before>xyz</before></set>`))).toEqual({
      max: 0,
      before: 'xyz',
    });
    expect(parseRsm(q(`<set xmlns='${NS}'><index>7</index></set>`))).toEqual({ index: 7 });
  });

  it('reads an empty <before/> as the last page', () => {
    expect(parseRsm(q(`<set xmlns='${NS}'><max>5</max><before/></set>`))).toEqual({
      max: 5,
      before: true,
    });
  });

  it.each([
    `<set xmlns='${NS}'><max>-1</max></set>`,
    `<set xmlns='${NS}'><max>ten</max></set>`,
    `<set xmlns='${NS}'><max>1</max><max>2</max></set>`,
    `<set xmlns='${NS}'><after/></set>`,
    `<set xmlns='${NS}'><index>x</index></set>`,
    `<set xmlns='${NS}'/><set xmlns='${NS}'/>`,
  ])('refuses %s with bad-request', (set) => {
    try {
      parseRsm(q(set));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StanzaError);
      expect((err as StanzaError).condition).toBe('bad-request');
    }
  });
});

describe('rsmReply', () => {
  it('has first (with index), last and count', () => {
    expect(rsmReply({ first: { id: 'a', index: 3 }, last: 'b', count: 9 }).toString()).toBe(
      `<set xmlns="${NS}"><first index="3">a</first><last>b</last><count>9</count></set>`,
    );
  });

  it('leaves first and last out of an empty page', () => {
    expect(rsmReply({ count: 4 }).toString()).toBe(`<set xmlns="${NS}"><count>4</count></set>`);
  });
});
