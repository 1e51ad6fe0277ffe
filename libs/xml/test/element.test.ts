import { describe, expect, it } from 'vitest';
import { Element, escapeAttr, escapeText, serialize, xml } from '../src/element.js';
import { parseXml } from '../src/parse.js';

describe('xml() builder and Element', () => {
  it('builds trees, skipping absent attributes and children', () => {
    const el = xml(
      'iq',
      { type: 'get', id: 7, to: undefined, from: null },
      xml('ping', { xmlns: 'urn:xmpp:ping' }),
      null,
      undefined,
      false,
      'text',
    );
    expect(el.attrs).toEqual({ type: 'get', id: '7' });
    expect(el.children).toHaveLength(2);
    expect(el.toString()).toBe('<iq type="get" id="7"><ping xmlns="urn:xmpp:ping"/>text</iq>');
    const ping = el.getChild('ping', 'urn:xmpp:ping');
    expect(ping?.parent).toBe(el);
  });

  it('c() returns the child and t() the element, for chaining', () => {
    const msg = new Element('message', { to: 'a@b' });
    const body = msg.c('body').t('hi').t(' there');
    expect(body.name).toBe('body');
    expect(body.parent).toBe(msg);
    expect(body.text()).toBe('hi there');
    expect(msg.getChildText('body')).toBe('hi there');
    expect(msg.getChildText('subject')).toBeUndefined();
  });

  it('resolves namespaces through ancestors, prefix-aware', () => {
    const el = xml(
      'stream:features',
      { 'xmlns:stream': 'http://etherx.jabber.org/streams', xmlns: 'jabber:client' },
      xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('required')),
      xml('other'),
    );
    expect(el.getNS()).toBe('http://etherx.jabber.org/streams');
    expect(el.localName).toBe('features');
    expect(el.is('features', 'http://etherx.jabber.org/streams')).toBe(true);
    expect(el.getChild('bind')?.getChild('required')?.getNS()).toBe(
      'urn:ietf:params:xml:ns:xmpp-bind',
    );
    expect(el.getChild('other')?.getNS()).toBe('jabber:client');
    expect(xml('x:y').getNS()).toBeUndefined();
    expect(xml('xml:lang').getNS()).toBe('http://www.w3.org/XML/1998/namespace');
  });

  it('finds children by name and namespace', () => {
    const el = xml(
      'query',
      { xmlns: 'jabber:iq:roster' },
      xml('item', { jid: 'a@b' }),
      xml('item', { jid: 'c@d' }),
      xml('item', { xmlns: 'urn:other', jid: 'e@f' }),
    );
    expect(el.getChildren('item')).toHaveLength(3);
    expect(el.getChildren('item', 'jabber:iq:roster').map((i) => i.attr('jid'))).toEqual([
      'a@b',
      'c@d',
    ]);
    expect(el.getChild('item', 'urn:other')?.attr('jid')).toBe('e@f');
    expect(el.getChild('missing')).toBeUndefined();
  });

  it('clone() copies deeply and detaches the copy', () => {
    const parent = xml('a', null, xml('b', { k: 'v' }, 'text'));
    const b = parent.getChild('b')!;
    const copy = b.clone();
    expect(copy.parent).toBeUndefined();
    expect(copy.toString()).toBe(b.toString());
    copy.setAttr('k', 'changed');
    copy.t('more');
    expect(b.toString()).toBe('<b k="v">text</b>');
  });

  it('remove() and setAttr() edit in place', () => {
    const a = xml('a', { x: '1' }, xml('b'), xml('c'));
    const b = a.getChild('b')!;
    a.remove(b);
    expect(b.parent).toBeUndefined();
    expect(a.toString()).toBe('<a x="1"><c/></a>');
    const stray = xml('d');
    const c = a.getChild('c')!;
    a.remove(stray);
    expect(c.parent).toBe(a);
    a.setAttr('x', null).setAttr('y', 2);
    expect(a.attrs).toEqual({ y: '2' });
  });

  it('returns only own attributes, never inherited object members', () => {
    const el = xml('a');
    expect(el.attr('constructor')).toBeUndefined();
    expect(el.attr('toString')).toBeUndefined();
    el.setAttr('__proto__', 'x');
    expect(el.attr('__proto__')).toBe('x');
    expect(el.toString()).toBe('<a __proto__="x"/>');
    expect(Object.getPrototypeOf(el.attrs)).toBe(Object.prototype);
  });
});

describe('escaping', () => {
  it('escapes text', () => {
    expect(escapeText('plain')).toBe('plain');
    expect(escapeText('a<b>&c "q" \'a\'\r\n\t')).toBe('a&lt;b&gt;&amp;c "q" \'a\'&#13;\n\t');
  });

  it('escapes attribute values, including whitespace that parsers normalize', () => {
    expect(escapeAttr('plain')).toBe('plain');
    expect(escapeAttr('a<b>&c "q" \'a\'\r\n\t')).toBe(
      'a&lt;b&gt;&amp;c &quot;q&quot; &apos;a&apos;&#13;&#10;&#9;',
    );
  });

  it('serializes empty elements self-closed and text escaped', () => {
    expect(serialize(xml('a'))).toBe('<a/>');
    expect(serialize(xml('a', null, ''))).toBe('<a></a>');
    expect(serialize(xml('a', { v: '<&>' }, '<&>'))).toBe('<a v="&lt;&amp;&gt;">&lt;&amp;&gt;</a>');
  });
});

describe('serialize/parse round trips', () => {
  const values = [
    'double "quotes" and \'single\'',
    'less < greater > amp &',
    'tab\there, newline\nthere, cr\rthere, crlf\r\n',
    'leading and trailing spaces  ',
    'non-BMP 😀𝄞🌹 and BMP é 中 ☃',
    '&amp; already-escaped &lt;',
    ']]> cdata terminator',
  ];

  for (const value of values) {
    it(`keeps ${JSON.stringify(value)} in attributes and text`, () => {
      const el = xml('m', { xmlns: 'urn:t', v: value }, xml('body', null, value), value);
      const text = serialize(el);
      const back = parseXml(text);
      expect(back.attr('v')).toBe(value);
      expect(back.getChildText('body')).toBe(value);
      expect(back.text()).toBe(value);
      expect(serialize(back)).toBe(text);
    });
  }

  it('keeps mixed content, namespaces and prefixes', () => {
    const el = xml(
      'stream:error',
      { 'xmlns:stream': 'http://etherx.jabber.org/streams' },
      xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-streams' }),
      xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-streams', 'xml:lang': 'en' }, 'Replaced'),
    );
    const back = parseXml(serialize(el));
    expect(serialize(back)).toBe(serialize(el));
    expect(back.getNS()).toBe('http://etherx.jabber.org/streams');
    expect(back.getChild('text')?.attr('xml:lang')).toBe('en');
  });
});
