/**
 * fast-check arbitraries shared by the property tests of several packages:
 * XML names, text and element trees, token soups that reach deep into an
 * XML parser, and arbitrary cuts of an input into chunks.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';

/** One element of a generated tree: the shape `@parley/xml`'s Element takes. */
export interface XmlTree {
  name: string;
  attrs: Record<string, string>;
  children: (XmlTree | string)[];
}

/**
 * A short XML name without a prefix (lowercase ASCII, digits, `.`, `-`, `_`),
 * never starting with `xml` (reserved: `xmlns` would be a namespace declaration).
 */
export const xmlName: Arbitrary<string> = fc
  .stringMatching(/^[a-z][a-z0-9._-]{0,7}$/)
  .filter((name) => !name.startsWith('xml'));

/** Whether XML 1.0 allows code point `cp` in a document (production [2] Char). */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** One character XML allows, weighted towards the ones that need escaping. */
const xmlChar: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\t', '\n', '\r', ']]>', ' ') },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0x80, max: 0x10ffff })
      .filter(isXmlChar)
      .filter((cp) => cp < 0xd800 || cp > 0xdfff)
      .map((cp) => String.fromCodePoint(cp)),
  },
);

/** Text made only of characters XML allows (any of them, `&`, `<`, CR and `]]>` included). */
export function xmlText(maxLength = 24): Arbitrary<string> {
  return fc.array(xmlChar, { maxLength }).map((chars) => chars.join(''));
}

/**
 * Element trees up to `maxDepth` deep, with attributes and text as
 * `serialize()` writes and a parser gives back: no empty text and no two
 * text children side by side (a parser merges them).
 */
export function xmlTree(maxDepth = 4): Arbitrary<XmlTree> {
  const attrs = fc.dictionary(xmlName, xmlText(16), { maxKeys: 4 });
  const { tree } = fc.letrec<{ tree: XmlTree }>((tie) => ({
    tree: fc
      .record({
        name: xmlName,
        attrs,
        children: fc.array(fc.oneof({ maxDepth }, xmlText(12), tie('tree')), { maxLength: 4 }),
      })
      .map((t) => ({ ...t, attrs: { ...t.attrs }, children: mergeText(t.children) })),
  }));
  return tree;
}

function mergeText(children: (XmlTree | string)[]): (XmlTree | string)[] {
  const out: (XmlTree | string)[] = [];
  for (const c of children) {
    const last = out[out.length - 1];
    if (typeof c === 'string' && typeof last === 'string') out[out.length - 1] = last + c;
    else if (c !== '') out.push(c);
  }
  return out;
}

/** Fragments an XML parser has a state for, well-formed or not. */
const FRAGMENTS = [
  '<',
  '>',
  '/>',
  '</',
  '=',
  '"',
  "'",
  ' ',
  '\n',
  '&',
  ';',
  ':',
  '<a>',
  '</a>',
  '<a/>',
  "<a b='c'>",
  '<a xmlns="urn:x">',
  "<x:a xmlns:x='urn:x'>",
  '</x:a>',
  '<y:a>',
  "<a y:b='1'>",
  "<a xmlns:y=''>",
  '<a b="1" b="2">',
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
  '</stream:stream>',
  "<stream:stream xmlns:stream='urn:other'>",
  '<message>',
  '</message>',
  '<body>',
  '</body>',
  '<iq type="get" id="1">',
  '</iq>',
  '<presence/>',
  '&amp;',
  '&lt;',
  '&#x41;',
  '&#65;',
  '&#0;',
  '&#xD800;',
  '&#x110000;',
  '&nbsp;',
  '&x',
  '<![CDATA[',
  ']]>',
  '<!-- c -->',
  '<?pi x?>',
  "<?xml version='1.0'?>",
  "<?xml version='1.0' encoding='ISO-8859-1'?>",
  '<!DOCTYPE a [<!ENTITY e "x">]>',
  '&e;',
  '\u0000',
  '\u0001',
  '\uFFFE',
  '\uD800',
  '\uDC00',
  '😀',
  'é',
];

/** Strings made of parser-relevant fragments, names and text: most are refused, some are not. */
export function xmlSoup(maxTokens = 40): Arbitrary<string> {
  const token = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
    { weight: 2, arbitrary: xmlName },
    { weight: 2, arbitrary: xmlText(8) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  );
  return fc.array(token, { maxLength: maxTokens }).map((tokens) => tokens.join(''));
}

/** Splits `input` at the given cut points (any numbers: taken modulo the length). */
export function splitAt<T extends string | Uint8Array>(input: T, cuts: readonly number[]): T[] {
  const n = input.length;
  const points = [...new Set(cuts.map((c) => (n === 0 ? 0 : c % (n + 1))))].sort((a, b) => a - b);
  const out: T[] = [];
  let from = 0;
  for (const p of [...points, n]) {
    out.push(input.slice(from, p) as T);
    from = p;
  }
  return out;
}

/** Cut points for {@link splitAt}: none (one chunk) up to `max`, anywhere. */
export function cuts(max = 12): Arbitrary<number[]> {
  return fc.array(fc.nat(), { maxLength: max });
}
