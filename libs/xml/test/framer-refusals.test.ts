import { describe, expect, it } from 'vitest';
import { XmlError } from '../src/errors.js';
import { STREAM_HEADER, conditionOf, record } from './helpers.js';

const H = STREAM_HEADER;

describe('StreamFramer refuses restricted XML (RFC 6120 section 11.1)', () => {
  const cases: [string, string][] = [
    ['a DOCTYPE before the header', `<!DOCTYPE stream>${H}`],
    [
      'entity declarations',
      `<?xml version='1.0'?><!DOCTYPE s [<!ENTITY boom "lol">]>${H}<message>&boom;</message>`,
    ],
    ['a DOCTYPE between stanzas', `${H}<!DOCTYPE x>`],
    ['a processing instruction before the header', `<?php echo 1; ?>${H}`],
    ['a processing instruction between stanzas', `${H}<?foo bar?>`],
    ['a processing instruction inside a stanza', `${H}<message><?foo bar?></message>`],
    ['an XML declaration after leading whitespace', ` <?xml version='1.0'?>${H}`],
    ['an XML declaration after the header', `${H}<?xml version='1.0'?>`],
    ['a comment before the header', `<!-- hi -->${H}`],
    ['a comment between stanzas', `${H}<presence/><!-- hi --><presence/>`],
    ['a comment inside a stanza', `${H}<message><body>a<!-- hi -->b</body></message>`],
    ['an undefined entity reference', `${H}<message><body>&nbsp;</body></message>`],
    ['an undefined entity reference in an attribute', `${H}<message to='&ent;'/>`],
  ];
  for (const [what, input] of cases) {
    it(`refuses ${what}`, () => {
      expect(conditionOf(input)).toBe('restricted-xml');
    });
  }

  it('accepts the five predefined entities and character references', () => {
    const r = record();
    r.framer.write(
      `${H}<message a='&quot;&apos;'><body>&lt;&gt;&amp;&#65;&#x42;&#x1F600;</body></message>`,
    );
    expect(r.errors).toEqual([]);
    expect(r.stanzas[0]!.attr('a')).toBe(`"'`);
    expect(r.stanzas[0]!.getChildText('body')).toBe('<>&AB😀');
  });
});

describe('StreamFramer refuses malformed XML', () => {
  const cases: [string, string, string][] = [
    ['mismatched tags', `${H}<message><body></message>`, 'not-well-formed'],
    ['an unquoted attribute', `${H}<message to=a@b/>`, 'not-well-formed'],
    ['a duplicate attribute', `${H}<message to='a' to='b'/>`, 'not-well-formed'],
    ['a stray close tag', `${H}</message>`, 'not-well-formed'],
    ['a bad tag name', `${H}<1message/>`, 'not-well-formed'],
    ['"<" in an attribute value', `${H}<message to='a<b'/>`, 'not-well-formed'],
    ['"]]>" in text', `${H}<message><body>a]]>b</body></message>`, 'not-well-formed'],
    ['text before the header', `hello${H}`, 'not-well-formed'],
    ['text between stanzas', `${H}<presence/>hello<presence/>`, 'not-well-formed'],
    ['text at the end of a chunk between stanzas', `${H}<presence/>  hello`, 'not-well-formed'],
    ['an entity between stanzas', `${H}<presence/>&amp;<presence/>`, 'not-well-formed'],
    ['CDATA between stanzas', `${H}<![CDATA[x]]><presence/>`, 'not-well-formed'],
    ['text before the stream close', `${H}<presence/>bye</stream:stream>`, 'not-well-formed'],
    [
      'a control character in text',
      `${H}<message><body>a\u0001b</body></message>`,
      'not-well-formed',
    ],
    ['a control character in an attribute', `${H}<message id='\u0008'/>`, 'not-well-formed'],
    ['U+FFFE', `${H}<message><body>\uFFFE</body></message>`, 'not-well-formed'],
    ['a character reference to NUL', `${H}<message><body>&#0;</body></message>`, 'not-well-formed'],
    [
      'a character reference to U+0001',
      `${H}<message><body>&#x1;</body></message>`,
      'not-well-formed',
    ],
    ['an unpaired low surrogate', `${H}<message><body>\uDC00</body></message>`, 'not-well-formed'],
    [
      'an unpaired high surrogate',
      `${H}<message><body>\uD800<x/></body></message>`,
      'not-well-formed',
    ],
    ['an undeclared element prefix', `${H}<foo:message/>`, 'bad-namespace-prefix'],
    ['an undeclared attribute prefix', `${H}<message foo:bar='1'/>`, 'bad-namespace-prefix'],
    [
      'an undeclared prefix on the header',
      `<stream:stream xmlns='jabber:client'>`,
      'bad-namespace-prefix',
    ],
    [
      'a header in the wrong namespace',
      `<stream:stream xmlns:stream='http://example.com/streams'>`,
      'invalid-namespace',
    ],
    [
      'a header with the wrong name',
      `<stream:flow xmlns:stream='http://etherx.jabber.org/streams'>`,
      'invalid-namespace',
    ],
    ['an unprefixed header without namespace', `<stream>`, 'invalid-namespace'],
    [
      'a declared encoding other than UTF-8',
      `<?xml version='1.0' encoding='ISO-8859-1'?>${H}`,
      'unsupported-encoding',
    ],
  ];
  for (const [what, input, condition] of cases) {
    it(`refuses ${what} with ${condition}`, () => {
      expect(conditionOf(input)).toBe(condition);
    });
  }

  it('accepts an unprefixed header in the streams namespace and an utf-8 declaration', () => {
    const r = record();
    r.framer.write(
      `<?xml version="1.0" encoding="utf-8"?><stream xmlns='http://etherx.jabber.org/streams'>`,
    );
    expect(r.events).toEqual([`open stream {"xmlns":"http://etherx.jabber.org/streams"}`]);
  });

  it('never delivers a stanza whose close tag does not match', () => {
    const r = record();
    r.framer.write(`${H}<message><body>hi</body></iq>`);
    expect(r.events.slice(1)).toEqual(['error not-well-formed']);
    const split = record();
    split.framer.write(`${H}<message/><message><body>hi</body></mess`);
    split.framer.write('age2>');
    expect(split.events.slice(1)).toEqual([
      'stanza <message xmlns="jabber:client"/>',
      'error not-well-formed',
    ]);
  });

  it('delivers the stanzas before the point of an error', () => {
    const r = record();
    r.framer.write(`${H}<presence/><presence type='unavailable'/>oops<presence/>`);
    expect(r.events.slice(1)).toEqual([
      'stanza <presence xmlns="jabber:client"/>',
      'stanza <presence xmlns="jabber:client" type="unavailable"/>',
      'error not-well-formed',
    ]);
  });

  it('refuses invalid UTF-8 with unsupported-encoding', () => {
    const bad = Buffer.concat([Buffer.from(`${H}<message><body>`), Buffer.from([0xc3, 0x28])]);
    expect(conditionOf(bad)).toBe('unsupported-encoding');
    const overlong = Buffer.concat([Buffer.from(H), Buffer.from([0xc0, 0xbc])]);
    expect(conditionOf(overlong)).toBe('unsupported-encoding');
  });

  it('reports an XmlError with name, code and message, once, then ignores input', () => {
    const r = record();
    r.framer.write(`${H}<presence/><foo:bar/><presence/>`);
    r.framer.write('<presence/>');
    expect(r.events.slice(1)).toEqual([
      'stanza <presence xmlns="jabber:client"/>',
      'error bad-namespace-prefix',
    ]);
    const err = r.errors[0]!;
    expect(err).toBeInstanceOf(XmlError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('XmlError');
    expect(err.code).toBe('XML_BAD_NAMESPACE_PREFIX');
    expect(err.message).toMatch(/unbound namespace prefix/);
    expect(err.cause).toBeInstanceOf(Error);
  });
});

describe('StreamFramer limits', () => {
  it('refuses nesting deeper than maxDepth', () => {
    const nest = (n: number): string => '<a>'.repeat(n) + '</a>'.repeat(n);
    const ok = record({ limits: { maxDepth: 4 } });
    ok.framer.write(H + nest(4));
    expect(ok.errors).toEqual([]);
    expect(ok.stanzas).toHaveLength(1);
    expect(conditionOf(H + nest(5), { limits: { maxDepth: 4 } })).toBe('policy-violation');
    // Refused as soon as the too-deep tag starts, with the rest never sent.
    expect(conditionOf(H + '<a>'.repeat(33))).toBe('policy-violation');
  });

  // A header with a single attribute, so that tight limits apply to stanzas only.
  const SH = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>";

  it('refuses more attributes than maxAttributes', () => {
    const attrs = (n: number): string =>
      Array.from({ length: n }, (_, i) => ` a${i}='${i}'`).join('');
    const limits = { maxAttributes: 3 };
    const ok = record({ limits });
    ok.framer.write(`${SH}<message${attrs(3)}/>`);
    expect(ok.errors).toEqual([]);
    expect(ok.stanzas).toHaveLength(1);
    expect(conditionOf(`${SH}<message${attrs(4)}/>`, { limits })).toBe('policy-violation');
    // Refused while the tag is still open.
    expect(conditionOf(`${H}<message${attrs(65)}`)).toBe('policy-violation');
    // The header counts too: H has four.
    expect(conditionOf(H, { limits })).toBe('policy-violation');
  });

  it('refuses attribute values over maxAttrValueBytes, counted in UTF-8', () => {
    const limits = { maxAttrValueBytes: 40 };
    const ok = record({ limits });
    ok.framer.write(`${SH}<message id='${'é'.repeat(20)}'/>`);
    expect(ok.errors).toEqual([]);
    expect(ok.stanzas).toHaveLength(1);
    expect(conditionOf(`${SH}<message id='${'é'.repeat(20)}x'/>`, { limits })).toBe(
      'policy-violation',
    );
    expect(conditionOf(`${SH}<message id='${'a'.repeat(41)}'/>`, { limits })).toBe(
      'policy-violation',
    );
  });

  it('refuses open tags over maxOpenTagBytes while they stream in', () => {
    const limits = { maxOpenTagBytes: 80 };
    const tag = `<message to='${'a'.repeat(65)}'>`;
    expect(Buffer.byteLength(tag)).toBe(80);
    const ok = record({ limits });
    ok.framer.write(`${SH}${tag}<body>${'x'.repeat(100)}</body></message>`);
    expect(ok.errors).toEqual([]);
    expect(ok.stanzas).toHaveLength(1);
    expect(conditionOf(`${SH}<message to='${'a'.repeat(66)}'>`, { limits })).toBe(
      'policy-violation',
    );
    const r = record({ limits });
    r.framer.write(`${SH}<message to='`);
    expect(r.errors).toEqual([]);
    r.framer.write('x'.repeat(100));
    expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
  });

  it('counts stanza bytes exactly, multi-byte characters included', () => {
    const stanza = (bodyChars: string): string => `<message><body>${bodyChars}</body></message>`;
    const overhead = Buffer.byteLength(stanza(''));
    const limit = 100_000;
    // Fill with 3-byte characters plus ASCII to land exactly on the limit.
    const fill = (bytes: number): string =>
      '中'.repeat(Math.floor(bytes / 3)) + 'x'.repeat(bytes % 3);
    const exact = stanza(fill(limit - overhead));
    expect(Buffer.byteLength(exact)).toBe(limit);
    const over = stanza(fill(limit - overhead + 1));

    for (const size of [7, 4096, 1 << 20]) {
      const write = (s: string): string[] => {
        const r = record({ limits: { maxStanzaBytes: limit } });
        const buf = Buffer.from(`${H}\n  ${s}  \n`);
        for (let i = 0; i < buf.length; i += size) r.framer.write(buf.subarray(i, i + size));
        return r.events.slice(1).map((e) => e.slice(0, 20));
      };
      expect(write(exact)).toEqual(['stanza <message xmln']);
      expect(write(over)).toEqual(['error policy-violati']);
    }
  });

  it('refuses a 1 MB stanza against a 256 KB limit before it is all written', () => {
    const r = record();
    r.framer.write(H);
    r.framer.write("<message to='romeo@example.net'><body>");
    const chunk = Buffer.from('0123456789abcdef'.repeat(1024)); // 16 KiB
    let written = 0;
    let writtenAtError = -1;
    while (written < 1024 * 1024) {
      r.framer.write(chunk);
      written += chunk.length;
      if (writtenAtError < 0 && r.errors.length > 0) writtenAtError = written;
    }
    r.framer.write('</body></message>');
    expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
    expect(r.stanzas).toEqual([]);
    expect(writtenAtError).toBeGreaterThan(0);
    expect(writtenAtError).toBeLessThanOrEqual(256 * 1024 + 32 * 1024);
  });

  it('refuses an oversized stanza written in a single chunk', () => {
    const huge = `${H}<message><body>${'x'.repeat(300_000)}</body></message>`;
    expect(conditionOf(huge)).toBe('policy-violation');
  });

  it('bounds what it buffers between stanzas too', () => {
    // A comment is only reported once complete; the size limit stops it earlier.
    const r = record({ limits: { maxStanzaBytes: 10_000 } });
    r.framer.write(`${H}<!--`);
    r.framer.write('x'.repeat(20_000));
    expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
    expect(conditionOf('<stream:stream ' + 'x'.repeat(300_000))).toBe('policy-violation');
  });

  it('reports the pending size of the element being received', () => {
    const r = record();
    r.framer.write(`${H}  `);
    expect(r.framer.pendingBytes).toBe(0);
    r.framer.write('<message><body>é');
    expect(r.framer.pendingBytes).toBe(Buffer.byteLength('<message><body>é'));
    r.framer.write('</body></message>');
    expect(r.framer.pendingBytes).toBe(0);
  });
});

/**
 * Counterexamples found by framer.property.test.ts: the outcome of an input
 * must not depend on where it was cut into chunks.
 */
describe('StreamFramer reports the first error of the input, however it is chunked', () => {
  function outcome(chunks: (string | Buffer)[]): string[] {
    const r = record();
    for (const c of chunks) r.framer.write(c);
    return r.events.map((e) => (e.startsWith('open ') ? 'open' : e));
  }

  it('delivers the stanzas before an unpaired surrogate in the same string chunk', () => {
    const events = ['open', 'stanza <presence xmlns="jabber:client"/>', 'error not-well-formed'];
    expect(outcome([`${H}<presence/>\uDC00`])).toEqual(events);
    expect(outcome([`${H}<presence/>`, '\uDC00'])).toEqual(events);
  });

  it('delivers the stanzas before invalid UTF-8 in the same byte chunk', () => {
    const text = `${H}<presence/><message><body>é`;
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xc3, 0x28])]);
    const events = [
      'open',
      'stanza <presence xmlns="jabber:client"/>',
      'error unsupported-encoding',
    ];
    expect(outcome([bytes])).toEqual(events);
    expect(outcome([bytes.subarray(0, H.length + 12), bytes.subarray(H.length + 12)])).toEqual(
      events,
    );
    // A sequence split across chunks before the bad byte is kept whole.
    const split = Buffer.from(text).length - 1;
    expect(outcome([bytes.subarray(0, split), bytes.subarray(split)])).toEqual(events);
  });

  it('refuses a bad stream header before an unpaired surrogate after it', () => {
    expect(outcome(['<a>\uD800<'])).toEqual(['error invalid-namespace']);
    expect(outcome(['<a>', '\uD800<'])).toEqual(['error invalid-namespace']);
  });

  it('refuses text between stanzas before a comment that follows it', () => {
    expect(outcome([`${H}'<!-- c --><`])).toEqual(['open', 'error not-well-formed']);
    expect(outcome([`${H}'`, '<!-- c --><'])).toEqual(['open', 'error not-well-formed']);
  });
});
