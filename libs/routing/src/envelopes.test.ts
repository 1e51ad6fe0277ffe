import { describe, expect, it } from 'vitest';
import { parseXml, xml } from '@parley/xml';
import type { Envelope } from './envelope.js';
import { bounceOf, envelopeOf } from './envelopes.js';
import { routeSubject } from './subjects.js';

describe('envelopeOf', () => {
  it('reads kind, type, id, from and to, and serializes the stanza', () => {
    const el = xml(
      'message',
      { from: 'a@example.org/r', to: 'b@example.org', type: 'chat', id: 'm1' },
      xml('body', {}, 'hi'),
    );
    expect(envelopeOf(el, 'out')).toEqual({
      stage: 'out',
      kind: 'message',
      type: 'chat',
      id: 'm1',
      from: 'a@example.org/r',
      to: 'b@example.org',
      xml: el.toString(),
    });
  });

  it("uses '' for a missing type, from or to, and leaves a missing id out", () => {
    const env = envelopeOf(xml('presence'), 'in');
    expect(env).toEqual({
      stage: 'in',
      kind: 'presence',
      type: '',
      from: '',
      to: '',
      xml: '<presence/>',
    });
    expect('id' in env).toBe(false);
  });

  it('keeps the serialized form it is given', () => {
    const raw = `<iq type='get' id='q' to='example.org' from='a@example.org/r'><ping xmlns='urn:xmpp:ping'/></iq>`;
    const env = envelopeOf(parseXml(raw), 'in', raw);
    expect(env.xml).toBe(raw);
    expect(env.kind).toBe('iq');
    expect(env.type).toBe('get');
  });
});

describe('bounceOf', () => {
  const env: Envelope = {
    stage: 'in',
    kind: 'message',
    type: 'chat',
    from: 'a@example.org/r',
    to: 'b@example.org',
    xml: '<message/>',
  };

  it("goes to the partition of the session's bare JID, naming the full JID and connection", () => {
    expect(bounceOf({ env, jid: 'b@example.org/x/y', conn: 'c1' }, 64)).toEqual({
      subject: routeSubject('b@example.org', 64),
      msg: { t: 'bounce', to: 'b@example.org/x/y', conn: 'c1', env },
    });
  });

  it("falls back to the envelope's recipient and marks drained deliveries", () => {
    expect(bounceOf({ env, drained: true }, 16)).toEqual({
      subject: routeSubject('b@example.org', 16),
      msg: { t: 'bounce', to: 'b@example.org', drained: true, env },
    });
    expect(bounceOf({ env, drained: false }, 16)?.msg).not.toHaveProperty('drained');
  });

  it('is undefined without a recipient', () => {
    expect(bounceOf({ env: { ...env, to: '' } }, 64)).toBeUndefined();
    expect(bounceOf({ env, jid: '/r' }, 64)).toBeUndefined();
  });
});
