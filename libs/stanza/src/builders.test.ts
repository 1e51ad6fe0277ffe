import { describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import {
  canReplyWithError,
  delayElement,
  errorReply,
  iqResult,
  isStanza,
  stanzaKind,
  xep0082DateTime,
} from './builders.js';
import { NS_CLIENT, NS_DELAY, NS_PING, NS_SERVER, NS_STANZAS } from './ns.js';
import { badRequest, serviceUnavailable } from './stanza-error-conditions.js';
import { parseStanzaError } from './stanza-errors.js';

describe('stanzaKind / isStanza', () => {
  it('recognises the three stanza kinds', () => {
    expect(stanzaKind(xml('message'))).toBe('message');
    expect(stanzaKind(xml('presence', { xmlns: NS_CLIENT }))).toBe('presence');
    expect(stanzaKind(xml('iq', { xmlns: NS_SERVER }))).toBe('iq');
    expect(isStanza(xml('iq'))).toBe(true);
  });

  it('rejects other elements and other namespaces', () => {
    expect(stanzaKind(xml('stream:features'))).toBeUndefined();
    expect(stanzaKind(xml('r', { xmlns: 'urn:xmpp:sm:3' }))).toBeUndefined();
    expect(stanzaKind(xml('message', { xmlns: 'urn:example:other' }))).toBeUndefined();
    expect(isStanza(xml('auth', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl' }))).toBe(false);
  });
});

describe('canReplyWithError', () => {
  it('never answers an error with an error', () => {
    for (const name of ['message', 'presence', 'iq']) {
      expect(canReplyWithError(xml(name, { type: 'error' }))).toBe(false);
    }
  });

  it('does not answer an IQ result', () => {
    expect(canReplyWithError(xml('iq', { type: 'result', id: '1' }))).toBe(false);
  });

  it('answers requests, messages and presences', () => {
    expect(canReplyWithError(xml('iq', { type: 'get', id: '1' }))).toBe(true);
    expect(canReplyWithError(xml('iq', { type: 'set', id: '1' }))).toBe(true);
    expect(canReplyWithError(xml('message', { type: 'chat' }))).toBe(true);
    expect(canReplyWithError(xml('message'))).toBe(true);
    expect(canReplyWithError(xml('presence', { type: 'subscribe' }))).toBe(true);
  });

  it('does not answer non-stanzas', () => {
    expect(canReplyWithError(xml('enable', { xmlns: 'urn:xmpp:sm:3' }))).toBe(false);
  });
});

describe('errorReply', () => {
  it('swaps addresses, keeps the id and omits an IQ payload', () => {
    const iq = xml(
      'iq',
      { from: 'romeo@montague.example/orchard', to: 'capulet.example', id: 'ping-1', type: 'get' },
      xml('ping', { xmlns: NS_PING }),
    );
    const reply = errorReply(iq, serviceUnavailable());
    expect(reply.toString()).toBe(
      '<iq from="capulet.example" to="romeo@montague.example/orchard" id="ping-1" type="error">' +
        '<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>' +
        '</iq>',
    );
    expect(canReplyWithError(reply)).toBe(false);
  });

  it('includes the original payload of a message', () => {
    const msg = xml(
      'message',
      {
        xmlns: NS_CLIENT,
        from: 'a@x.example/r',
        to: 'b@y.example',
        id: 'm1',
        type: 'chat',
        'xml:lang': 'en',
      },
      xml('body', {}, 'hi'),
    );
    const reply = errorReply(msg, badRequest('nope'));
    expect(reply.toString()).toBe(
      '<message xmlns="jabber:client" from="b@y.example" to="a@x.example/r" id="m1" type="error" xml:lang="en">' +
        '<body>hi</body>' +
        '<error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">nope</text></error>' +
        '</message>',
    );
    // The original is left untouched.
    expect(msg.getChild('body')?.parent).toBe(msg);
    expect(msg.attr('type')).toBe('chat');
    expect(parseStanzaError(reply)?.condition).toBe('bad-request');
  });

  it('leaves out addresses the original did not have', () => {
    const reply = errorReply(
      xml('presence', { to: 'room@muc.example/nick' }),
      serviceUnavailable(),
    );
    expect(reply.attr('from')).toBe('room@muc.example/nick');
    expect('to' in reply.attrs).toBe(false);
    expect('id' in reply.attrs).toBe(false);
    expect(reply.getChild('error')?.getChild('service-unavailable', NS_STANZAS)).toBeDefined();
  });

  it('refuses non-stanzas', () => {
    expect(() => errorReply(xml('r', { xmlns: 'urn:xmpp:sm:3' }), badRequest())).toThrow(TypeError);
  });
});

describe('iqResult', () => {
  it('swaps addresses and keeps the id', () => {
    const iq = xml('iq', { from: 'a@x.example/r', to: 'x.example', id: 'q7', type: 'get' });
    expect(iqResult(iq).toString()).toBe(
      '<iq from="x.example" to="a@x.example/r" id="q7" type="result"/>',
    );
  });

  it('appends a payload', () => {
    const iq = xml('iq', { id: 'v', type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' }));
    const result = iqResult(
      iq,
      xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'Parley')),
    );
    expect(result.toString()).toBe(
      '<iq id="v" type="result"><query xmlns="jabber:iq:version"><name>Parley</name></query></iq>',
    );
  });

  it('only answers get and set', () => {
    expect(() => iqResult(xml('iq', { type: 'result', id: '1' }))).toThrow(TypeError);
    expect(() => iqResult(xml('iq', { type: 'error', id: '1' }))).toThrow(TypeError);
    expect(() => iqResult(xml('message', { type: 'get' }))).toThrow(TypeError);
  });
});

describe('XEP-0082 / XEP-0203', () => {
  it('formats UTC with milliseconds and Z', () => {
    expect(xep0082DateTime(new Date(Date.UTC(2002, 8, 10, 23, 8, 25)))).toBe(
      '2002-09-10T23:08:25.000Z',
    );
    expect(xep0082DateTime(new Date('2024-02-29T01:02:03.456+05:30'))).toBe(
      '2024-02-28T19:32:03.456Z',
    );
  });

  it('rejects dates it cannot express', () => {
    expect(() => xep0082DateTime(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => xep0082DateTime(new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError);
  });

  it('builds a delay element', () => {
    const stamp = new Date(Date.UTC(2002, 8, 10, 23, 8, 25, 7));
    expect(delayElement('capulet.example', stamp, 'Offline Storage').toString()).toBe(
      '<delay xmlns="urn:xmpp:delay" from="capulet.example" stamp="2002-09-10T23:08:25.007Z">' +
        'Offline Storage</delay>',
    );
    const bare = delayElement('capulet.example', stamp);
    expect(bare.is('delay', NS_DELAY)).toBe(true);
    expect(bare.children).toHaveLength(0);
  });
});
