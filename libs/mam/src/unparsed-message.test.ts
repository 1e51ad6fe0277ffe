import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import { appendStanzaId, quickArchivable } from './unparsed-message.js';
import { notArchivedReason } from './rules.js';
import { getStanzaId, setStanzaId } from './stanza-id.js';

/** As the registry sees them: parsed from the wire and serialized by Parley. */
const samples: Record<string, string> = {
  plain: "<message to='b@x' type='chat' id='1'><body>hi &amp; &lt;bye&gt;</body></message>",
  'body after other children':
    "<message to='b@x'><active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:1' id='o'/><body>x</body></message>",
  'empty body': "<message to='b@x'><body/></message>",
  'client namespace body': "<message to='b@x'><body xmlns='jabber:client'>x</body></message>",
  'chat state only':
    "<message to='b@x' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
  'self-closing': "<message to='b@x'/>",
  'nested body only':
    "<message to='b@x'><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>x</p></body></html></message>",
  'forwarded body only':
    "<message to='b@x'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='c@x'><body>x</body></message></forwarded></received></message>",
  'foreign-namespace body': "<message to='b@x'><body xmlns='urn:other'>x</body></message>",
  'body in other default namespace':
    "<message to='b@x'><x xmlns='urn:y'><body>x</body></x></message>",
  'attribute with >':
    "<message to='b@x' id='a&gt;b'><thread parent='p>q'>t</thread><body>x</body></message>",
  'no-store hint': "<message to='b@x'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>",
  'stanza-id present':
    "<message to='b@x'><body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='b@x' id='forged'/></message>",
};

describe('quickArchivable', () => {
  for (const [name, wire] of Object.entries(samples)) {
    it(`agrees with the parsed rules: ${name}`, () => {
      const xml = parseXml(wire).toString();
      const quick = quickArchivable(xml);
      const reason = notArchivedReason(parseXml(xml));
      if (quick === 'yes') expect(reason).toBeUndefined();
      if (quick === 'no') expect(reason).toBe('no-body');
    });
  }

  it('decides the common cases without a parse, and leaves hints and stanza-ids to it', () => {
    const q = (wire: string) => quickArchivable(parseXml(wire).toString());
    expect(q(samples['plain']!)).toBe('yes');
    expect(q(samples['body after other children']!)).toBe('yes');
    expect(q(samples['chat state only']!)).toBe('no');
    expect(q(samples['nested body only']!)).toBe('no');
    expect(q(samples['forwarded body only']!)).toBe('no');
    expect(q(samples['body in other default namespace']!)).toBe('no');
    expect(q(samples['foreign-namespace body']!)).toBe('parse');
    expect(q(samples['no-store hint']!)).toBe('parse');
    expect(q(samples['stanza-id present']!)).toBe('parse');
  });
});

describe('appendStanzaId', () => {
  it('gives the same message as setStanzaId on the parsed one', () => {
    const xml = parseXml(samples['plain']!).toString();
    const quick = appendStanzaId(xml, 'a&b@x', '0123456789abcdefgh')!;
    const parsed = setStanzaId(parseXml(xml), 'a&b@x', '0123456789abcdefgh');
    expect(parseXml(quick).toString()).toBe(parsed.toString());
    expect(getStanzaId(parseXml(quick), 'a&b@x')).toBe('0123456789abcdefgh');
  });

  it('refuses a self-closing message', () => {
    expect(appendStanzaId("<message to='b@x'/>", 'a@x', 'i')).toBeUndefined();
  });
});
