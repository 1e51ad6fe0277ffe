import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import {
  BoshRequestError,
  EMPTY_BODY,
  NS_HTTPBIND,
  NS_XBOSH,
  body,
  isTerminal,
  parseRequest,
  parseRid,
  parseSeconds,
  terminate,
  xboshAttr,
} from './protocol.js';
import { newSid, sidOwner } from './sid.js';

describe('BOSH wire format', () => {
  it('builds bodies that declare the stream and xmpp prefixes and escape attributes', () => {
    const el = parseXml(body({ sid: "a'b<c", wait: 60, absent: undefined }, '<stream:features/>'));
    expect(el.getNS()).toBe(NS_HTTPBIND);
    expect(el.attr('sid')).toBe("a'b<c");
    expect(el.attr('wait')).toBe('60');
    expect(el.attr('absent')).toBeUndefined();
    expect(el.getChild('features', 'http://etherx.jabber.org/streams')).toBeDefined();
    expect(parseXml(EMPTY_BODY).children).toEqual([]);
    const t = parseXml(terminate('item-not-found'));
    expect([t.attr('type'), t.attr('condition')]).toEqual(['terminate', 'item-not-found']);
    expect(parseXml(terminate()).attr('condition')).toBeUndefined();
    expect(isTerminal(terminate())).toBe(true);
    expect(isTerminal(terminate('item-not-found', '<x/>'))).toBe(true);
    expect(isTerminal(EMPTY_BODY)).toBe(false);
    expect(isTerminal(body({ sid: 'x' }))).toBe(false);
  });

  it('parses requests with the stream restrictions and reports the terminal condition', () => {
    const ok = parseRequest(
      `<body xmlns='${NS_HTTPBIND}' rid='1'><message xmlns='jabber:client'/></body>`,
      1000,
    );
    expect(ok.getChildElements()).toHaveLength(1);
    const fails: [string, string][] = [
      ['<body', 'bad-request'],
      ["<body xmlns='urn:other'/>", 'bad-request'],
      [`<!-- c --><body xmlns='${NS_HTTPBIND}'/>`, 'bad-request'],
      [`<?pi x?><body xmlns='${NS_HTTPBIND}'/>`, 'bad-request'],
      [`<body xmlns='${NS_HTTPBIND}'>${'x'.repeat(2000)}</body>`, 'policy-violation'],
    ];
    for (const [text, condition] of fails) {
      let err: unknown;
      try {
        parseRequest(text, 1000);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BoshRequestError);
      expect((err as BoshRequestError).condition).toBe(condition);
    }
  });

  it('reads xbosh attributes under any prefix bound to urn:xmpp:xbosh', () => {
    const a = parseXml(`<body xmlns='${NS_HTTPBIND}' xmlns:x='${NS_XBOSH}' x:restart='true'/>`);
    expect(xboshAttr(a, 'restart')).toBe('true');
    const b = parseXml(`<body xmlns='${NS_HTTPBIND}' xmlns:x='urn:other' x:restart='true'/>`);
    expect(xboshAttr(b, 'restart')).toBeUndefined();
  });

  it('accepts rids from 1 to 2^53-1 in decimal only', () => {
    expect(parseRid('1')).toBe(1);
    expect(parseRid('9007199254740991')).toBe(9007199254740991);
    for (const bad of [undefined, '', '0', '-1', '1e3', '0x10', '9007199254740992', ' 5', '1.5']) {
      expect(parseRid(bad)).toBeUndefined();
    }
    expect(parseSeconds('60')).toBe(60);
    expect(parseSeconds('-1')).toBeUndefined();
  });

  it('sids are unpredictable and name their gateway', () => {
    const a = newSid('gateway-1');
    const b = newSid('gateway-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{32}\.gateway-1$/);
    expect(sidOwner(a)).toBe('gateway-1');
    for (const bad of ['', 'abc', '0123.gw1', `${'0'.repeat(32)}.gw.1`, `${'0'.repeat(32)}.`]) {
      expect(sidOwner(bad)).toBeUndefined();
    }
  });
});
