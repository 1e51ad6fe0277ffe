import { describe, expect, it } from 'vitest';
import { XmlError } from '../src/errors.js';
import { parseXml } from '../src/parse.js';

function conditionOf(text: string, limits?: Parameters<typeof parseXml>[1]): string | undefined {
  try {
    parseXml(text, limits);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(XmlError);
    return (err as XmlError).condition;
  }
}

describe('parseXml', () => {
  it('parses one standalone element with its attributes, text and children', () => {
    const el = parseXml(
      `<message xmlns='jabber:client' from='a@b/c' type='chat'><body>é &amp; 😀</body><x:y xmlns:x='urn:x' x:z='1'/></message>`,
    );
    expect(el.name).toBe('message');
    expect(el.parent).toBeUndefined();
    expect(el.attrs).toEqual({ xmlns: 'jabber:client', from: 'a@b/c', type: 'chat' });
    expect(el.getChildText('body')).toBe('é & 😀');
    expect(el.getChild('y', 'urn:x')?.attr('x:z')).toBe('1');
    expect(el.toString()).toBe(
      '<message xmlns="jabber:client" from="a@b/c" type="chat"><body>é &amp; 😀</body><x:y xmlns:x="urn:x" x:z="1"/></message>',
    );
  });

  it('allows a leading XML declaration and surrounding whitespace', () => {
    expect(parseXml(`<?xml version='1.0' encoding='UTF-8'?>\n<a/>\n`).toString()).toBe('<a/>');
    expect(parseXml('  <a/>  ').toString()).toBe('<a/>');
  });

  it('round-trips what it parses', () => {
    const text =
      '<iq xmlns="jabber:client" type="result" id="x"><query xmlns="jabber:iq:roster"><item jid="a@b" name="&quot;A&quot; &amp; &lt;B&gt;">\n  <group>G</group>\n</item></query></iq>';
    expect(parseXml(text).toString()).toBe(text);
  });

  it('returns independent trees for successive calls', () => {
    const a = parseXml('<a>1</a>');
    const b = parseXml('<b>2</b>');
    expect(a.toString()).toBe('<a>1</a>');
    expect(b.toString()).toBe('<b>2</b>');
  });

  const refusals: [string, string, string][] = [
    ['an empty string', '', 'not-well-formed'],
    ['plain text', 'hello', 'not-well-formed'],
    ['two elements', '<a/><b/>', 'not-well-formed'],
    ['an unclosed element', '<a><b></b>', 'not-well-formed'],
    ['a mismatched close tag', '<a></b>', 'not-well-formed'],
    ['trailing text', '<a/>x', 'not-well-formed'],
    ['a comment', '<a><!--x--></a>', 'restricted-xml'],
    ['a processing instruction', '<?pi x?><a/>', 'restricted-xml'],
    ['a DOCTYPE', '<!DOCTYPE a><a/>', 'restricted-xml'],
    ['an entity declaration', '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'restricted-xml'],
    ['an undefined entity', '<a>&e;</a>', 'restricted-xml'],
    ['an undeclared prefix', '<p:a/>', 'bad-namespace-prefix'],
    ['an invalid character', '<a>\u0000</a>', 'not-well-formed'],
    ['an unpaired surrogate', '<a>\uD83D</a>', 'not-well-formed'],
    [
      'a non-UTF-8 encoding declaration',
      "<?xml version='1.0' encoding='latin1'?><a/>",
      'unsupported-encoding',
    ],
  ];
  for (const [what, text, condition] of refusals) {
    it(`throws ${condition} for ${what}`, () => {
      expect(conditionOf(text)).toBe(condition);
    });
  }

  it('keeps working after refusing input', () => {
    expect(conditionOf('<a>')).toBe('not-well-formed');
    expect(parseXml('<a/>').toString()).toBe('<a/>');
  });

  it('applies limits', () => {
    const deep = '<a>'.repeat(33) + '</a>'.repeat(33);
    expect(conditionOf(deep)).toBe('policy-violation');
    expect(parseXml(deep, { maxDepth: 33 }).name).toBe('a');
    expect(conditionOf(`<a>${'x'.repeat(100)}</a>`, { maxStanzaBytes: 100 })).toBe(
      'policy-violation',
    );
    expect(conditionOf('<a b="1" c="2"/>', { maxAttributes: 1 })).toBe('policy-violation');
  });
});
