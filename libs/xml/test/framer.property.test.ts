/**
 * Property tests of the stream framer: any input in any chunking is either
 * parsed or refused with one documented condition, never thrown; generated
 * stanzas come back equal whatever the chunking; the limits hold for any
 * size, depth and attribute count. More runs: `pnpm fuzz` (docs/security.md).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { cuts, propertyTest, splitAt, xmlSoup, xmlText, xmlTree } from '@parley/fuzz';
import type { XmlTree } from '@parley/fuzz';
import { Element } from '../src/element.js';
import { XmlError } from '../src/errors.js';
import { StreamFramer } from '../src/framer.js';
import type { FramerMode } from '../src/framer.js';
import { parseXml } from '../src/parse.js';
import { STREAM_HEADER, record } from './helpers.js';
import type { Recorder } from './helpers.js';

/** The conditions README.md documents for refused input. */
const DOCUMENTED = [
  'restricted-xml',
  'not-well-formed',
  'bad-namespace-prefix',
  'invalid-namespace',
  'unsupported-encoding',
  'policy-violation',
];

function toElement(t: XmlTree): Element {
  return new Element(
    t.name,
    t.attrs,
    t.children.map((c) => (typeof c === 'string' ? c : toElement(c))),
  );
}

/** What a stanza of the tree looks like once framed: the stream's namespace on top. */
function framed(t: XmlTree): string {
  const el = toElement(t);
  return new Element(el.name, { xmlns: 'jabber:client', ...el.attrs }, el.children).toString();
}

/** Checks what every run must hold, whatever the input. */
function checkInvariants(r: Recorder): void {
  const errors = r.events.filter((e) => e.startsWith('error '));
  expect(errors.length).toBeLessThanOrEqual(1);
  for (const err of r.errors) {
    expect(err).toBeInstanceOf(XmlError);
    expect(DOCUMENTED).toContain(err.condition);
  }
  // Nothing after an error or the stream's end.
  const last = r.events.findIndex((e) => e.startsWith('error ') || e === 'close');
  if (last !== -1) expect(last).toBe(r.events.length - 1);
  // A stanza is namespace-complete on its own: it parses again to the same tree.
  for (const el of r.stanzas) {
    expect(el.parent).toBeUndefined();
    expect(parseXml(el.toString()).toString()).toBe(el.toString());
  }
}

function feed(chunks: readonly (string | Uint8Array)[], mode: FramerMode = 'tcp'): Recorder {
  const r = record({ mode });
  for (const c of chunks) r.framer.write(c);
  return r;
}

/** Input as string chunks, or UTF-8 bytes cut anywhere (inside a sequence too). */
const chunking = fc.constantFrom('string', 'bytes');

function chunksOf(text: string, how: string, at: number[]): (string | Uint8Array)[] {
  return how === 'string' ? splitAt(text, at) : splitAt(Buffer.from(text, 'utf8'), at);
}

describe('StreamFramer properties: arbitrary input', () => {
  propertyTest(
    'never throws, refuses with one documented condition, the same in any chunking',
    1000,
    () =>
      fc.property(fc.boolean(), xmlSoup(), chunking, cuts(), (withHeader, soup, how, at) => {
        const text = (withHeader ? STREAM_HEADER : '') + soup;
        // Bytes of a string with an unpaired surrogate hold U+FFFD: compare like with like.
        const whole = feed(chunksOf(text, how, []));
        checkInvariants(whole);
        const chunked = feed(chunksOf(text, how, at));
        checkInvariants(chunked);
        expect(chunked.events).toEqual(whole.events);
      }),
  );

  propertyTest('never throws on arbitrary bytes', 500, () =>
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      cuts(),
      fc.boolean(),
      (bytes, at, withHeader) => {
        const chunks = splitAt(Buffer.from(bytes), at);
        const r = feed(withHeader ? [STREAM_HEADER, ...chunks] : chunks);
        checkInvariants(r);
      },
    ),
  );

  propertyTest('takes WebSocket messages one by one without throwing', 500, () =>
    fc.property(fc.array(xmlSoup(12), { maxLength: 6 }), (messages) => {
      const r = feed(messages, 'websocket');
      checkInvariants(r);
    }),
  );

  propertyTest('parseXml returns an element or throws XmlError', 1000, () =>
    fc.property(xmlSoup(), (text) => {
      try {
        const el = parseXml(text);
        expect(parseXml(el.toString()).toString()).toBe(el.toString());
      } catch (err) {
        expect(err).toBeInstanceOf(XmlError);
        expect(DOCUMENTED).toContain((err as XmlError).condition);
      }
    }),
  );
});

describe('StreamFramer properties: round trips', () => {
  const whitespace = fc.stringMatching(/^[ \t\r\n]{0,3}$/);

  propertyTest('gives back generated stanzas whatever the chunking', 500, () =>
    fc.property(
      fc.array(fc.tuple(xmlTree(), whitespace), { maxLength: 5 }),
      chunking,
      cuts(),
      (stanzas, how, at) => {
        const text =
          STREAM_HEADER +
          stanzas.map(([t, ws]) => toElement(t).toString() + ws).join('') +
          '</stream:stream>';
        const r = feed(chunksOf(text, how, at));
        expect(r.errors).toEqual([]);
        expect(r.stanzas.map((el) => el.toString())).toEqual(stanzas.map(([t]) => framed(t)));
        expect(r.events.at(-1)).toBe('close');
      },
    ),
  );

  propertyTest('serialize then parseXml is the identity', 1000, () =>
    fc.property(xmlTree(), (t) => {
      const el = toElement(t);
      const back = parseXml(el.toString());
      expect(back.toString()).toBe(el.toString());
      expect(back.text()).toBe(el.text());
      expect(back.attrs).toEqual(el.attrs);
    }),
  );

  propertyTest('gives back generated WebSocket messages', 500, () =>
    fc.property(fc.array(xmlTree(), { maxLength: 4 }), (trees) => {
      const r = feed(
        trees.map((t) => toElement(t).toString()),
        'websocket',
      );
      expect(r.errors).toEqual([]);
      expect(r.stanzas.map((el) => el.toString())).toEqual(
        trees.map((t) => toElement(t).toString()),
      );
    }),
  );
});

describe('StreamFramer properties: limits', () => {
  /** A message whose body makes it about `size` bytes (multi-byte characters included). */
  const sizedStanza = (min: number, max: number) =>
    fc.tuple(fc.integer({ min, max }), xmlText(4)).map(([size, extra]) => {
      const head = `<message id='${extra.length}'><body>`;
      const tail = '</body></message>';
      const body = 'é'.repeat(Math.floor(size / 4)) + 'x'.repeat(Math.ceil(size / 2));
      return head + body + tail;
    });

  propertyTest('delivers a stanza iff it fits maxStanzaBytes, in any chunking', 300, () =>
    fc.property(
      fc.integer({ min: 256, max: 4096 }),
      fc.array(sizedStanza(64, 4200), { minLength: 1, maxLength: 4 }),
      chunking,
      cuts(),
      (limit, stanzas, how, at) => {
        const r = record({ limits: { maxStanzaBytes: limit } });
        const text = STREAM_HEADER + stanzas.join('\n');
        for (const c of chunksOf(text, how, at)) r.framer.write(c);
        const sizes = stanzas.map((s) => Buffer.byteLength(s, 'utf8'));
        const fitting = sizes.findIndex((n) => n > limit);
        const delivered = fitting === -1 ? stanzas.length : fitting;
        expect(r.stanzas.length).toBe(delivered);
        if (fitting === -1) expect(r.errors).toEqual([]);
        else expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
      },
    ),
  );

  propertyTest('keeps 16 KiB before authentication and the raised limit after it', 100, () =>
    fc.property(
      sizedStanza(15_800, 17_000),
      sizedStanza(16_500, 40_000),
      chunking,
      cuts(),
      (first, second, how, at) => {
        const preAuth = 16 * 1024;
        const stanzas: Element[] = [];
        const errors: XmlError[] = [];
        const framer: StreamFramer = new StreamFramer(
          {
            streamOpen: () => undefined,
            streamClose: () => undefined,
            stanza: (el) => {
              stanzas.push(el);
              // What the gateway does on SASL success.
              framer.setLimits({ maxStanzaBytes: 256 * 1024 });
            },
            error: (err) => errors.push(err),
          },
          { limits: { maxStanzaBytes: preAuth } },
        );
        for (const c of chunksOf(STREAM_HEADER + first + second, how, at)) framer.write(c);
        const r = { stanzas, errors };
        if (Buffer.byteLength(first, 'utf8') > preAuth) {
          expect(r.stanzas).toEqual([]);
          expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
        } else {
          expect(r.errors).toEqual([]);
          expect(r.stanzas.length).toBe(2);
        }
      },
    ),
  );

  propertyTest('refuses nesting deeper than maxDepth and nothing shallower', 300, () =>
    fc.property(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 1, max: 40 }), (depth, max) => {
      const open = Array.from({ length: depth }, (_, i) => `<e${i}>`).join('');
      const close = Array.from({ length: depth }, (_, i) => `</e${depth - 1 - i}>`).join('');
      const r = record({ limits: { maxDepth: max } });
      r.framer.write(STREAM_HEADER + open + close);
      if (depth > max) expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
      else expect(r.stanzas.length).toBe(1);
    }),
  );

  propertyTest('refuses more than maxAttributes on any element, declarations included', 300, () =>
    fc.property(
      fc.integer({ min: 0, max: 80 }),
      fc.integer({ min: 0, max: 3 }),
      fc.boolean(),
      (count, depth, declare) => {
        const attrs = Array.from({ length: count }, (_, i) =>
          declare && i === 0 ? `xmlns:p='urn:p'` : `a${i}='${i}'`,
        ).join(' ');
        const inner = `<leaf ${attrs}/>`;
        const text = `<m>`.repeat(depth) + inner + `</m>`.repeat(depth);
        const r = record();
        r.framer.write(STREAM_HEADER + (depth === 0 ? inner : text));
        if (count > 64) expect(r.errors.map((e) => e.condition)).toEqual(['policy-violation']);
        else expect(r.errors).toEqual([]);
      },
    ),
  );
});
