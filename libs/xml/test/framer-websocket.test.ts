import { describe, expect, it } from 'vitest';
import { record } from './helpers.js';

const OPEN =
  "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0' xml:lang='en'/>";
const CLOSE = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";

describe('StreamFramer in websocket mode (RFC 7395)', () => {
  it('maps <open/>, stanzas and <close/> across successive messages', () => {
    const r = record({ mode: 'websocket' });
    r.framer.write(OPEN);
    r.framer.write(
      "<message xmlns='jabber:client' to='romeo@example.net' type='chat'><body>hé 中 😀</body></message>",
    );
    r.framer.write(Buffer.from("<presence xmlns='jabber:client'><show>away</show></presence>"));
    r.framer.write(CLOSE);
    expect(r.events).toEqual([
      'open open ' +
        JSON.stringify({
          xmlns: 'urn:ietf:params:xml:ns:xmpp-framing',
          to: 'example.com',
          version: '1.0',
          'xml:lang': 'en',
        }),
      'stanza <message xmlns="jabber:client" to="romeo@example.net" type="chat"><body>hé 中 😀</body></message>',
      'stanza <presence xmlns="jabber:client"><show>away</show></presence>',
      'close',
    ]);
    expect(r.stanzas[0]!.getNS()).toBe('jabber:client');
  });

  it('treats every message as a standalone document', () => {
    const r = record({ mode: 'websocket' });
    r.framer.write(OPEN);
    // No namespace is inherited from <open/>, and prefixes must be declared in the message.
    r.framer.write('<message><body>x</body></message>');
    expect(r.stanzas[0]!.getNS()).toBeUndefined();
    r.framer.write("<?xml version='1.0'?>\n<iq xmlns='jabber:client' type='get' id='1'/>\n");
    expect(r.stanzas[1]!.attr('id')).toBe('1');
    r.framer.write('<stream:features/>');
    expect(r.errors.map((e) => e.condition)).toEqual(['bad-namespace-prefix']);
  });

  it('accepts a new <open/> for a stream restart', () => {
    const r = record({ mode: 'websocket' });
    r.framer.write(OPEN);
    r.framer.write(OPEN);
    expect(r.events.map((e) => e.split(' ')[0])).toEqual(['open', 'open']);
  });

  it('ignores whitespace-only messages', () => {
    const r = record({ mode: 'websocket' });
    r.framer.write(' \r\n');
    r.framer.write(OPEN);
    expect(r.events.map((e) => e.split(' ')[0])).toEqual(['open']);
  });

  const refusals: [string, string, string][] = [
    [
      'two elements in one message',
      "<presence xmlns='jabber:client'/><presence/>",
      'not-well-formed',
    ],
    ['an incomplete element', "<message xmlns='jabber:client'><body>", 'not-well-formed'],
    ['text after the element', "<presence xmlns='jabber:client'/>hi", 'not-well-formed'],
    ['a comment', "<presence xmlns='jabber:client'><!-- x --></presence>", 'restricted-xml'],
    ['a DOCTYPE', "<!DOCTYPE presence><presence xmlns='jabber:client'/>", 'restricted-xml'],
    ['an undefined entity', "<message xmlns='jabber:client'>&x;</message>", 'restricted-xml'],
  ];
  for (const [what, message, condition] of refusals) {
    it(`refuses ${what} with ${condition}, delivering nothing from it`, () => {
      const r = record({ mode: 'websocket' });
      r.framer.write(OPEN);
      r.framer.write(message);
      expect(r.events.slice(1)).toEqual([`error ${condition}`]);
    });
  }

  it('refuses a message over maxStanzaBytes without parsing it', () => {
    const r = record({ mode: 'websocket', limits: { maxStanzaBytes: 1000 } });
    r.framer.write(`<message xmlns='jabber:client'><body>${'é'.repeat(400)}</body></message>`);
    expect(r.errors).toEqual([]);
    r.framer.write(Buffer.from(`<message><body>${'é'.repeat(500)}</body></message>`));
    expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
  });

  it('ignores messages after <close/> or an error until reset()', () => {
    const r = record({ mode: 'websocket' });
    r.framer.write(CLOSE);
    r.framer.write(OPEN);
    expect(r.events).toEqual(['close']);
    r.framer.reset();
    r.framer.write('<a><b></a>');
    r.framer.write(OPEN);
    expect(r.events).toEqual(['close', 'error not-well-formed']);
    r.framer.reset();
    r.framer.write(OPEN);
    expect(r.events.map((e) => e.split(' ')[0])).toEqual(['close', 'error', 'open']);
  });
});
