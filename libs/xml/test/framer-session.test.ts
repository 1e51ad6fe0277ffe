import { describe, expect, it } from 'vitest';
import { StreamFramer } from '../src/framer.js';
import { record, run } from './helpers.js';

/** A client session as it might arrive on the wire. */
const SESSION = [
  "<?xml version='1.0' encoding='UTF-8'?>",
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'",
  " to='example.com' from='jülia@example.com' version='1.0' xml:lang='fr'>",
  '\n  ',
  "<message to='romeo@example.net/orchard' from='juliet@example.com/balcony' id='m1' type='chat' xml:lang='en'>",
  '<body>Wherefore art thou, Roméo? 中文 😀 &amp; &lt;3 &#x1F339; &#233;</body>',
  "<active xmlns='http://jabber.org/protocol/chatstates'/>",
  "<thread parent='e0ffe42b28561960'>0e3141cd80894871</thread>",
  '</message>',
  ' ',
  '\r\n',
  "<iq type='set' id='roster_2'>",
  "<query xmlns='jabber:iq:roster' ver='ver9' xmlns:ext='urn:example:ext'>",
  "<item jid='nurse@example.com' name='Nurse \"N\" &apos;s' ext:flag='yes' subscription='none'>",
  '<group>Servants &amp; Friends</group>',
  '</item></query></iq>',
  '<presence><show>away</show><status>line one\r\nline two\ttabbed  </status>',
  "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>",
  '</presence>',
  '\t\t',
  "<message type='groupchat' to='room@muc.example.com'>",
  '<body><![CDATA[<b>bold</b> & "quoted"]]> after</body>',
  "<x:data xmlns:x='jabber:x:data' type='submit'/>",
  '</message   >',
  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><custom/></stream:features>",
  '\n\n\t',
  '</stream:stream>',
].join('');

const EXPECTED = [
  'open stream:stream ' +
    JSON.stringify({
      xmlns: 'jabber:client',
      'xmlns:stream': 'http://etherx.jabber.org/streams',
      to: 'example.com',
      from: 'jülia@example.com',
      version: '1.0',
      'xml:lang': 'fr',
    }),
  'stanza <message xmlns="jabber:client" to="romeo@example.net/orchard" from="juliet@example.com/balcony" id="m1" type="chat" xml:lang="en">' +
    '<body>Wherefore art thou, Roméo? 中文 😀 &amp; &lt;3 🌹 é</body>' +
    '<active xmlns="http://jabber.org/protocol/chatstates"/>' +
    '<thread parent="e0ffe42b28561960">0e3141cd80894871</thread></message>',
  'stanza <iq xmlns="jabber:client" type="set" id="roster_2">' +
    '<query xmlns="jabber:iq:roster" ver="ver9" xmlns:ext="urn:example:ext">' +
    '<item jid="nurse@example.com" name="Nurse &quot;N&quot; &apos;s" ext:flag="yes" subscription="none">' +
    '<group>Servants &amp; Friends</group></item></query></iq>',
  'stanza <presence xmlns="jabber:client"><show>away</show><status>line one\nline two\ttabbed  </status>' +
    '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://example.org" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/>' +
    '</presence>',
  'stanza <message xmlns="jabber:client" type="groupchat" to="room@muc.example.com">' +
    '<body>&lt;b&gt;bold&lt;/b&gt; &amp; "quoted" after</body>' +
    '<x:data xmlns:x="jabber:x:data" type="submit"/></message>',
  'stanza <stream:features xmlns:stream="http://etherx.jabber.org/streams">' +
    '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>' +
    '<custom xmlns="jabber:client"/></stream:features>',
  'close',
];

const BYTES = Buffer.from(SESSION, 'utf8');

function feed(chunks: (Buffer | string)[]): string[] {
  const r = record();
  for (const c of chunks) r.framer.write(c);
  return r.events;
}

describe('StreamFramer on a client session', () => {
  it('emits the header, each stanza and the close', () => {
    expect(BYTES.length).toBeGreaterThan(SESSION.length); // multi-byte characters present
    expect(run(SESSION)).toEqual(EXPECTED);
    expect(run(BYTES)).toEqual(EXPECTED);
  });

  it('gives stanzas without a parent that work standalone', () => {
    const r = record();
    r.framer.write(BYTES);
    for (const el of r.stanzas) expect(el.parent).toBeUndefined();
    const [message, iq, , groupchat, features] = r.stanzas;
    expect(message!.getNS()).toBe('jabber:client');
    expect(message!.getChild('active')?.getNS()).toBe('http://jabber.org/protocol/chatstates');
    expect(iq!.getChild('query', 'jabber:iq:roster')?.getChild('item')?.attr('ext:flag')).toBe(
      'yes',
    );
    expect(groupchat!.getChild('data')?.getNS()).toBe('jabber:x:data');
    expect(features!.is('features', 'http://etherx.jabber.org/streams')).toBe(true);
    expect(features!.getChild('custom', 'jabber:client')).toBeDefined();
    expect(r.framer.pendingBytes).toBe(0);
  });

  it('gives identical results for every split into two byte chunks', () => {
    for (let i = 1; i < BYTES.length; i++) {
      const events = feed([BYTES.subarray(0, i), BYTES.subarray(i)]);
      if (events.join('\n') !== EXPECTED.join('\n')) {
        expect({ split: i, events }).toEqual({ split: i, events: EXPECTED });
      }
    }
  });

  it('gives identical results fed one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < BYTES.length; i++) chunks.push(BYTES.subarray(i, i + 1));
    expect(feed(chunks)).toEqual(EXPECTED);
  });

  it('gives identical results for every split of the string, surrogate pairs included', () => {
    for (let i = 1; i < SESSION.length; i++) {
      const events = feed([SESSION.slice(0, i), SESSION.slice(i)]);
      if (events.join('\n') !== EXPECTED.join('\n')) {
        expect({ split: i, events }).toEqual({ split: i, events: EXPECTED });
      }
    }
    expect(feed(SESSION.split(''))).toEqual(EXPECTED);
  });

  it('gives identical results for pseudo-random multi-chunk splits', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < BYTES.length;) {
        const len = 1 + rand(40);
        chunks.push(BYTES.subarray(i, i + len));
        i += len;
      }
      expect(feed(chunks)).toEqual(EXPECTED);
    }
  });

  it('accepts plain Uint8Array chunks', () => {
    const bytes = new Uint8Array(BYTES);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 5) chunks.push(bytes.subarray(i, i + 5));
    const r = record();
    for (const c of chunks) r.framer.write(c);
    expect(r.events).toEqual(EXPECTED);
  });

  it('lets a handler exception propagate and then ignores input until reset()', () => {
    let calls = 0;
    const framer = new StreamFramer({
      streamOpen: () => undefined,
      stanza: () => {
        calls++;
        throw new Error('handler bug');
      },
      streamClose: () => undefined,
      error: () => undefined,
    });
    expect(() => framer.write(SESSION)).toThrow('handler bug');
    framer.write('<presence/>');
    expect(calls).toBe(1);
    framer.reset();
    expect(() => framer.write(SESSION)).toThrow('handler bug');
    expect(calls).toBe(2);
  });

  it('ignores whitespace keepalives, however long', () => {
    const header = SESSION.slice(0, SESSION.indexOf('\n  '));
    const r = record({ limits: { maxStanzaBytes: 1000 } });
    r.framer.write(header);
    for (let i = 0; i < 200; i++) r.framer.write(' \n\t\r\n'.repeat(100));
    expect(r.framer.pendingBytes).toBe(0);
    r.framer.write('<presence/>');
    expect(r.events.slice(1)).toEqual(['stanza <presence xmlns="jabber:client"/>']);
  });

  it('applies limits changed on the way to what is parsed next (a larger stanza after login)', () => {
    const header = SESSION.slice(0, SESSION.indexOf('\n  '));
    const big = `<message><body>${'x'.repeat(3000)}</body></message>`;
    const small = record({ limits: { maxStanzaBytes: 1000 } });
    small.framer.write(header);
    small.framer.write(big);
    expect(small.events.some((e) => e.includes('policy-violation'))).toBe(true);

    const raised = record({ limits: { maxStanzaBytes: 1000 } });
    raised.framer.write(header);
    raised.framer.setLimits({ maxStanzaBytes: 10_000 });
    expect(raised.framer.limits.maxStanzaBytes).toBe(10_000);
    raised.framer.write(big);
    expect(raised.events.slice(1)).toHaveLength(1);
    expect(raised.events[1]).toMatch(/^stanza <message/);
  });

  it('ignores input after the stream is closed', () => {
    const r = record();
    r.framer.write(SESSION + '<message/>junk<');
    r.framer.write('more junk');
    expect(r.events).toEqual(EXPECTED);
  });
});

describe('StreamFramer across internal slices', () => {
  // Long enough to be parsed in several internal slices, with multi-byte text.
  const stanzas: string[] = [];
  for (let i = 0; i < 120; i++) {
    const body = `${i} ` + 'é中😀x&amp;'.repeat(i * 7);
    stanzas.push(`<message id='m${i}'><body>${body}</body></message>${i % 3 === 0 ? '\n' : ''}`);
  }
  const doc = Buffer.from(
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
      stanzas.join('') +
      '</stream:stream>',
  );

  it('gives the same stanzas for any chunk size', () => {
    const whole = run(doc);
    expect(whole).toHaveLength(122);
    expect(whole[5]).toBe(
      `stanza <message xmlns="jabber:client" id="m4"><body>4 ${'é中😀x&amp;'.repeat(28)}</body></message>`,
    );
    for (const size of [1, 3, 1000, 4095, 8191, 8192, 8193, 20000, 65536]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < doc.length; i += size) chunks.push(doc.subarray(i, i + size));
      expect(feed(chunks)).toEqual(whole);
    }
  });
});

describe('StreamFramer stream restarts', () => {
  const HEADER =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

  it('expects a fresh header, XML declaration allowed, after reset()', () => {
    const r = record();
    r.framer.write(HEADER);
    r.framer.write(
      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    );
    r.framer.reset();
    r.framer.write(HEADER);
    r.framer.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    expect(r.events.map((e) => e.split(' ')[0])).toEqual(['open', 'stanza', 'open', 'stanza']);
    expect(r.stanzas[1]!.toString()).toBe(
      '<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>',
    );
    expect(r.errors).toEqual([]);
  });

  it('parses the rest of the chunk as the new stream when reset() is called from a handler', () => {
    const events: string[] = [];
    const framer: StreamFramer = new StreamFramer({
      streamOpen: (h) => events.push(`open ${h.attrs.id}`),
      stanza: (el) => {
        events.push(`stanza ${el.toString()}`);
        if (el.name === 'auth') framer.reset();
      },
      streamClose: () => events.push('close'),
      error: (e) => events.push(`error ${e.condition}`),
    });
    const header = (id: string): string =>
      `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='${id}'>`;
    const pipelined =
      header('one') +
      "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</auth>" +
      header('two') +
      '<presence/>';
    framer.write(pipelined);
    expect(events).toEqual([
      'open one',
      'stanza <auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl">=</auth>',
      'open two',
      'stanza <presence xmlns="jabber:client"/>',
    ]);
  });

  it('resumes after an error once reset', () => {
    const r = record();
    r.framer.write(HEADER + '<message><!-- no --></message><presence/>');
    expect(r.events.slice(1)).toEqual(['error restricted-xml']);
    r.framer.write('<presence/>');
    expect(r.events).toHaveLength(2);
    r.framer.reset();
    r.framer.write(HEADER + '<presence/>');
    expect(r.events.slice(2)).toEqual([
      'open stream:stream ' +
        JSON.stringify({
          xmlns: 'jabber:client',
          'xmlns:stream': 'http://etherx.jabber.org/streams',
          to: 'example.com',
          version: '1.0',
        }),
      'stanza <presence xmlns="jabber:client"/>',
    ]);
  });
});
