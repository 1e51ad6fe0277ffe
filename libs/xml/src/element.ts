/**
 * Element model for XMPP stanzas: a small, mutable XML element tree.
 * Attributes hold unescaped values; text children are unescaped strings.
 * Namespaces: the `xmlns` attribute is kept as an ordinary attribute and
 * inherited lookups use {@link Element.getNS}.
 */
export type Node = Element | string;

export class Element {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  parent: Element | undefined;

  constructor(name: string, attrs?: Record<string, string | number | undefined | null>, children?: Node[]) {
    this.name = name;
    this.attrs = {};
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v !== undefined && v !== null) this.attrs[k] = String(v);
      }
    }
    this.children = [];
    this.parent = undefined;
    if (children) for (const c of children) this.append(c);
  }

  /** Local name without prefix. */
  get localName(): string {
    const i = this.name.indexOf(':');
    return i === -1 ? this.name : this.name.slice(i + 1);
  }

  /** Namespace of this element, resolved through ancestors (prefix-aware). */
  getNS(): string | undefined {
    const i = this.name.indexOf(':');
    if (i === -1) return this.findNS('xmlns');
    return this.findNS('xmlns:' + this.name.slice(0, i));
  }

  private findNS(attr: string): string | undefined {
    for (let e: Element | undefined = this; e; e = e.parent) {
      const v = e.attrs[attr];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  attr(name: string): string | undefined {
    return this.attrs[name];
  }

  setAttr(name: string, value: string | number | undefined | null): this {
    if (value === undefined || value === null) delete this.attrs[name];
    else this.attrs[name] = String(value);
    return this;
  }

  is(name: string, xmlns?: string): boolean {
    return this.localName === name && (xmlns === undefined || this.getNS() === xmlns);
  }

  append(child: Node): this {
    if (typeof child !== 'string') child.parent = this;
    this.children.push(child);
    return this;
  }

  /** Adds a child element and returns the child (builder style). */
  c(name: string, attrs?: Record<string, string | number | undefined | null>): Element {
    const child = new Element(name, attrs);
    this.append(child);
    return child;
  }

  /** Appends text and returns this. */
  t(text: string): this {
    return this.append(text);
  }

  remove(child: Element): this {
    const i = this.children.indexOf(child);
    if (i !== -1) this.children.splice(i, 1);
    child.parent = undefined;
    return this;
  }

  getChildElements(): Element[] {
    return this.children.filter((c): c is Element => typeof c !== 'string');
  }

  getChild(name: string, xmlns?: string): Element | undefined {
    for (const c of this.children) {
      if (typeof c !== 'string' && c.is(name, xmlns)) return c;
    }
    return undefined;
  }

  getChildren(name: string, xmlns?: string): Element[] {
    return this.getChildElements().filter((c) => c.is(name, xmlns));
  }

  /** Concatenated direct text children. */
  text(): string {
    let s = '';
    for (const c of this.children) if (typeof c === 'string') s += c;
    return s;
  }

  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  /** Deep copy without parent link. */
  clone(): Element {
    const e = new Element(this.name, this.attrs);
    for (const c of this.children) e.append(typeof c === 'string' ? c : c.clone());
    return e;
  }

  toString(): string {
    return serialize(this);
  }
}

/** Shorthand builder: xml('iq', {type:'get'}, xml('ping', {xmlns: NS})). */
export function xml(
  name: string,
  attrs?: Record<string, string | number | undefined | null> | null,
  ...children: (Node | null | undefined | false)[]
): Element {
  const e = new Element(name, attrs ?? undefined);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const textEsc = /[&<>]/g;
const textTest = /[&<>]/;
const attrEsc = /[&<>"'\t\n\r]/g;
const attrTest = /[&<>"'\t\n\r]/;
const escMap: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

export function escapeText(s: string): string {
  return textTest.test(s) ? s.replace(textEsc, (c) => escMap[c]!) : s;
}

export function escapeAttr(s: string): string {
  return attrTest.test(s) ? s.replace(attrEsc, (c) => escMap[c]!) : s;
}

/** Serializes an element tree; no XML declaration. */
export function serialize(el: Element): string {
  let s = '<' + el.name;
  for (const k in el.attrs) s += ' ' + k + '="' + escapeAttr(el.attrs[k]!) + '"';
  if (el.children.length === 0) return s + '/>';
  s += '>';
  for (const c of el.children) s += typeof c === 'string' ? escapeText(c) : serialize(c);
  return s + '</' + el.name + '>';
}
