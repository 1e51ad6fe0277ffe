import { describe, expect, it } from 'vitest';
import { parseXml, xml } from '@parley/xml';
import { NS_STREAM, NS_STREAMS } from './ns.js';
import {
  STREAM_ERROR_CONDITIONS,
  StreamError,
  isStreamErrorCondition,
  parseStreamError,
  streamError,
} from './stream-errors.js';

const OPEN = '<stream:error xmlns:stream="http://etherx.jabber.org/streams">';

describe('streamError', () => {
  it('serializes a bare condition', () => {
    expect(streamError('host-unknown').toString()).toBe(
      OPEN + '<host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>',
    );
  });

  it('serializes text with language after the condition', () => {
    expect(streamError('not-well-formed', { text: 'bad <xml> & co', lang: 'en' }).toString()).toBe(
      OPEN +
        '<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">bad &lt;xml&gt; &amp; co</text>' +
        '</stream:error>',
    );
  });

  it('omits xml:lang when no language is given', () => {
    expect(streamError('conflict', { text: 'Replaced by new connection' }).toString()).toBe(
      OPEN +
        '<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams">Replaced by new connection</text>' +
        '</stream:error>',
    );
  });

  it('puts the see-other-host address in the condition element', () => {
    expect(streamError('see-other-host', { seeOtherHost: '[2001:db8::1]:5222' }).toString()).toBe(
      OPEN +
        '<see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">[2001:db8::1]:5222</see-other-host>' +
        '</stream:error>',
    );
  });

  it('requires an address for see-other-host and ignores it elsewhere', () => {
    expect(() => streamError('see-other-host')).toThrow(TypeError);
    expect(streamError('reset', { seeOtherHost: 'b.example' }).toString()).toBe(
      OPEN + '<reset xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>',
    );
  });

  it('appends an application-specific condition last', () => {
    const app = xml('escape-your-data', { xmlns: 'urn:example:app' });
    expect(streamError('bad-format', { text: 'x', appCondition: app }).toString()).toBe(
      OPEN +
        '<bad-format xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams">x</text>' +
        '<escape-your-data xmlns="urn:example:app"/>' +
        '</stream:error>',
    );
    expect(app.parent).toBeUndefined();
  });

  it('is in the streams namespace with a condition in the stream-errors namespace', () => {
    const el = streamError('system-shutdown');
    expect(el.is('error', NS_STREAM)).toBe(true);
    expect(el.getChild('system-shutdown', NS_STREAMS)).toBeDefined();
  });

  it('knows all 25 RFC 6120 conditions', () => {
    expect(STREAM_ERROR_CONDITIONS).toHaveLength(25);
    expect(isStreamErrorCondition('unsupported-version')).toBe(true);
    expect(isStreamErrorCondition('xml-not-well-formed')).toBe(false);
    for (const c of STREAM_ERROR_CONDITIONS) {
      const extra = c === 'see-other-host' ? { seeOtherHost: 'h.example' } : {};
      expect(streamError(c, extra).getChild(c, NS_STREAMS)).toBeDefined();
    }
  });
});

describe('StreamError', () => {
  it('is an Error whose element matches streamError()', () => {
    const err = new StreamError('policy-violation', { text: 'too fast', lang: 'en' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('StreamError');
    expect(err.message).toBe('policy-violation: too fast');
    expect(err.toElement().toString()).toBe(
      streamError('policy-violation', { text: 'too fast', lang: 'en' }).toString(),
    );
  });
});

describe('parseStreamError', () => {
  it('round-trips condition, text, language, host and app condition', () => {
    const original = new StreamError('see-other-host', {
      seeOtherHost: 'node2.example.net',
      text: 'moving',
      lang: 'en',
      appCondition: xml('why', { xmlns: 'urn:example:app' }),
    });
    const parsed = parseStreamError(original.toElement());
    expect(parsed).toMatchObject({
      condition: 'see-other-host',
      seeOtherHost: 'node2.example.net',
      text: 'moving',
      lang: 'en',
    });
    expect(parsed?.toElement().toString()).toBe(original.toElement().toString());
  });

  it('reads a pretty-printed error received on the wire', () => {
    const parsed = parseStreamError(
      parseXml(`<stream:error xmlns:stream="http://etherx.jabber.org/streams">
  <see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">
    [2001:db8::1]:9090
  </see-other-host>
  <text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">rebalancing</text>
</stream:error>`),
    );
    expect(parsed).toMatchObject({
      condition: 'see-other-host',
      seeOtherHost: '[2001:db8::1]:9090',
      text: 'rebalancing',
      lang: 'en',
      appCondition: undefined,
    });
  });

  it('accepts an element detached from the stream header', () => {
    const el = xml('stream:error', {}, xml('host-gone', { xmlns: NS_STREAMS }));
    expect(parseStreamError(el)?.condition).toBe('host-gone');
  });

  it('treats an unknown condition as undefined-condition', () => {
    const el = xml(
      'stream:error',
      { 'xmlns:stream': NS_STREAM },
      xml('made-up', { xmlns: NS_STREAMS }),
    );
    expect(parseStreamError(el)?.condition).toBe('undefined-condition');
  });

  it('ignores elements that are not stream errors', () => {
    expect(parseStreamError(xml('error', { type: 'cancel' }))).toBeUndefined();
    expect(parseStreamError(xml('stream:features', { 'xmlns:stream': NS_STREAM }))).toBeUndefined();
  });
});
