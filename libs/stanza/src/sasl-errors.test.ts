import { describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import { NS_SASL } from './ns.js';
import { SASL_FAILURE_CONDITIONS, parseSaslFailure, saslFailure } from './sasl-errors.js';

describe('saslFailure', () => {
  it('serializes a bare condition', () => {
    expect(saslFailure('not-authorized').toString()).toBe(
      '<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>',
    );
  });

  it('serializes text with language', () => {
    expect(saslFailure('account-disabled', 'Call 212-555-1212', 'en').toString()).toBe(
      '<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><account-disabled/>' +
        '<text xml:lang="en">Call 212-555-1212</text></failure>',
    );
  });

  it('puts condition and text in the SASL namespace', () => {
    const el = saslFailure('aborted', 'bye');
    expect(el.getChild('aborted', NS_SASL)).toBeDefined();
    expect(el.getChildText('text', NS_SASL)).toBe('bye');
  });

  it('knows the 11 RFC 6120 conditions', () => {
    expect(SASL_FAILURE_CONDITIONS).toHaveLength(11);
  });
});

describe('parseSaslFailure', () => {
  it('round-trips every condition', () => {
    for (const c of SASL_FAILURE_CONDITIONS) {
      expect(parseSaslFailure(saslFailure(c, 'why', 'en'))).toEqual({
        condition: c,
        text: 'why',
        lang: 'en',
      });
    }
  });

  it('reads an unknown condition as not-authorized', () => {
    const el = xml('failure', { xmlns: NS_SASL }, xml('something-new'));
    expect(parseSaslFailure(el)).toEqual({ condition: 'not-authorized' });
  });

  it('ignores other elements', () => {
    expect(parseSaslFailure(xml('failure', { xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' }))).toBe(
      undefined,
    );
    expect(parseSaslFailure(xml('success', { xmlns: NS_SASL }))).toBeUndefined();
  });
});
