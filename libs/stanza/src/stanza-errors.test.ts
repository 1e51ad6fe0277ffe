import { describe, expect, it } from 'vitest';
import { parseXml, xml } from '@parley/xml';
import { NS_CLIENT, NS_STANZAS } from './ns.js';
import {
  STANZA_ERROR_CONDITIONS,
  StanzaError,
  defaultErrorType,
  isStanzaErrorCondition,
  parseStanzaError,
} from './stanza-errors.js';
import type { StanzaErrorCondition, StanzaErrorType } from './stanza-errors.js';
import * as conditions from './stanza-error-conditions.js';

// RFC 6120 8.3.3.1 - 8.3.3.22, in section order.
const RFC_TABLE: [StanzaErrorCondition, StanzaErrorType][] = [
  ['bad-request', 'modify'],
  ['conflict', 'cancel'],
  ['feature-not-implemented', 'cancel'],
  ['forbidden', 'auth'],
  ['gone', 'cancel'],
  ['internal-server-error', 'cancel'],
  ['item-not-found', 'cancel'],
  ['jid-malformed', 'modify'],
  ['not-acceptable', 'modify'],
  ['not-allowed', 'cancel'],
  ['not-authorized', 'auth'],
  ['policy-violation', 'modify'],
  ['recipient-unavailable', 'wait'],
  ['redirect', 'modify'],
  ['registration-required', 'auth'],
  ['remote-server-not-found', 'cancel'],
  ['remote-server-timeout', 'wait'],
  ['resource-constraint', 'wait'],
  ['service-unavailable', 'cancel'],
  ['subscription-required', 'auth'],
  ['undefined-condition', 'cancel'],
  ['unexpected-request', 'wait'],
];

const camel = (c: string): string => c.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

describe('default error types', () => {
  it('covers exactly the 22 RFC 6120 conditions', () => {
    expect([...STANZA_ERROR_CONDITIONS].sort()).toEqual(RFC_TABLE.map(([c]) => c).sort());
  });

  it.each(RFC_TABLE)('%s defaults to type %s', (condition, type) => {
    expect(defaultErrorType(condition)).toBe(type);
    expect(new StanzaError(condition).type).toBe(type);
    const build = (conditions as Record<string, unknown>)[camel(condition)];
    expect(typeof build).toBe('function');
    const err = (build as () => StanzaError)();
    expect(err.condition).toBe(condition);
    expect(err.type).toBe(type);
    expect(err.toElement().attr('type')).toBe(type);
  });

  it('rejects names outside the RFC list', () => {
    expect(isStanzaErrorCondition('payment-required')).toBe(false);
    expect(isStanzaErrorCondition('toString')).toBe(false);
    expect(isStanzaErrorCondition('item-not-found')).toBe(true);
  });
});

describe('StanzaError', () => {
  it('serializes condition only', () => {
    expect(conditions.serviceUnavailable().toElement().toString()).toBe(
      '<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>',
    );
  });

  it('serializes by, text with language and an app condition in order', () => {
    const err = conditions.badRequest('missing id', {
      by: 'example.net',
      lang: 'en',
      appCondition: xml('too-many-items', { xmlns: 'urn:example:app' }),
    });
    expect(err.toElement().toString()).toBe(
      '<error type="modify" by="example.net">' +
        '<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">missing id</text>' +
        '<too-many-items xmlns="urn:example:app"/>' +
        '</error>',
    );
    expect(err.message).toBe('bad-request: missing id');
    expect(err).toBeInstanceOf(Error);
  });

  it('lets the type be overridden', () => {
    expect(conditions.policyViolation(undefined, { type: 'wait' }).toElement().attr('type')).toBe(
      'wait',
    );
  });

  it('carries the address of gone and redirect as character data', () => {
    expect(conditions.gone('xmpp:juliet@capulet.example').toElement().toString()).toBe(
      '<error type="cancel"><gone xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">' +
        'xmpp:juliet@capulet.example</gone></error>',
    );
    expect(conditions.redirect('xmpp:rooms@chat.example', 'moved').toElement().toString()).toBe(
      '<error type="modify"><redirect xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">' +
        'xmpp:rooms@chat.example</redirect>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">moved</text></error>',
    );
  });

  it('builds a fresh element each time', () => {
    const err = conditions.conflict(undefined, { appCondition: xml('x', { xmlns: 'urn:a' }) });
    const a = err.toElement();
    const b = err.toElement();
    expect(a).not.toBe(b);
    expect(a.toString()).toBe(b.toString());
  });
});

describe('parseStanzaError', () => {
  it('round-trips every condition with all fields', () => {
    for (const condition of STANZA_ERROR_CONDITIONS) {
      const original = new StanzaError(condition, {
        type: 'continue',
        text: 'details',
        lang: 'en',
        by: 'capulet.example',
        appCondition: xml('app', { xmlns: 'urn:example:app' }, 'data'),
        uri: 'xmpp:elsewhere.example',
      });
      const parsed = parseStanzaError(original.toElement());
      expect(parsed).toBeInstanceOf(StanzaError);
      expect(parsed).toMatchObject({
        condition,
        type: 'continue',
        text: 'details',
        lang: 'en',
        by: 'capulet.example',
      });
      expect(parsed?.toElement().toString()).toBe(original.toElement().toString());
    }
  });

  it('reads the error out of an error stanza', () => {
    const stanza = xml(
      'iq',
      { xmlns: NS_CLIENT, type: 'error', id: 'a1' },
      xml('query', { xmlns: 'jabber:iq:roster' }),
      conditions.itemNotFound('no such item').toElement(),
    );
    const parsed = parseStanzaError(stanza);
    expect(parsed?.condition).toBe('item-not-found');
    expect(parsed?.type).toBe('cancel');
    expect(parsed?.text).toBe('no such item');
    expect(parsed?.appCondition).toBeUndefined();
  });

  it('reads an error stanza received on the wire', () => {
    const parsed = parseStanzaError(
      parseXml(`<message xmlns="jabber:client" from="juliet@capulet.example" type="error">
  <body>hi</body>
  <error type="cancel" by="capulet.example">
    <gone xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">
      xmpp:juliet@capulet.example/balcony
    </gone>
    <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">moved</text>
    <account-closed xmlns="urn:example:app"/>
  </error>
</message>`),
    );
    expect(parsed).toMatchObject({
      condition: 'gone',
      type: 'cancel',
      by: 'capulet.example',
      uri: 'xmpp:juliet@capulet.example/balcony',
      text: 'moved',
      lang: 'en',
    });
    expect(parsed?.appCondition?.toString()).toBe('<account-closed xmlns="urn:example:app"/>');
    expect(parsed?.appCondition?.parent).toBeUndefined();
  });

  it('ignores stanzas that are not of type error', () => {
    const stanza = xml('message', { type: 'chat' }, conditions.forbidden().toElement());
    expect(parseStanzaError(stanza)).toBeUndefined();
    expect(parseStanzaError(xml('message', { type: 'error' }))).toBeUndefined();
  });

  it('defaults unknown conditions and types', () => {
    const el = xml('error', { type: 'later' }, xml('payment-required', { xmlns: NS_STANZAS }));
    const parsed = parseStanzaError(el);
    expect(parsed?.condition).toBe('undefined-condition');
    expect(parsed?.type).toBe('cancel');

    const noType = xml('error', {}, xml('forbidden', { xmlns: NS_STANZAS }));
    expect(parseStanzaError(noType)?.type).toBe('auth');
  });

  it('drops a uri on conditions that do not carry one', () => {
    const err = new StanzaError('forbidden', { uri: 'xmpp:x.example' });
    expect(err.uri).toBeUndefined();
    expect(err.toElement().toString()).toBe(
      '<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>',
    );
  });
});
