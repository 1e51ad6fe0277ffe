/**
 * Element model for XMPP stanzas: a small, mutable XML element tree.
 * Attributes hold unescaped values; text children are unescaped strings.
 * Namespaces: the `xmlns` attribute is kept as an ordinary attribute and
 * inherited lookups use {@link Element.getNS}.
 */
import { XML_NS } from './namespaces.js';

export type Node = Element | string;

/**
 * Stores `value` as an own property, even for the name `__proto__` (a plain
 * assignment to that name would change the object's prototype instead).
 */
export function setOwnAttr(attrs: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(attrs, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    attrs[name] = value;
  }
}

export class Element {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  parent: Element | undefined;

  constructor(
    name: string,
    attrs?: Record<string, string | number | undefined | null>,
    children?: Node[],
  ) {
    this.name = name;
    this.attrs = {};
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v !== undefined && v !== null) setOwnAttr(this.attrs, k, String(v));
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
    const prefix = this.name.slice(0, i);
    return prefix === 'xml' ? XML_NS : this.findNS('xmlns:' + prefix);
  }

  private findNS(attr: string): string | undefined {
    if (Object.hasOwn(this.attrs, attr)) return this.attrs[attr];
    for (let e = this.parent; e; e = e.parent) {
      if (Object.hasOwn(e.attrs, attr)) return e.attrs[attr];
    }
    return undefined;
  }

  /** Own attribute value; inherited object members (`constructor`, ...) are never returned. */
  attr(name: string): string | undefined {
    return Object.hasOwn(this.attrs, name) ? this.attrs[name] : undefined;
  }

  setAttr(name: string, value: string | number | undefined | null): this {
    if (value === undefined || value === null) delete this.attrs[name];
    else setOwnAttr(this.attrs, name, String(value));
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
    if (i !== -1) {
      this.children.splice(i, 1);
      child.parent = undefined;
    }
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

// A literal CR would come back as LF (XML end-of-line handling), so it is
// written as a character reference in text as well as in attributes.
const textEsc = /[&<>\r]/g;
const textTest = /[&<>\r]/;
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
  const attrs = el.attrs;
  for (const k in attrs) {
    if (Object.hasOwn(attrs, k)) s += ' ' + k + '="' + escapeAttr(attrs[k]!) + '"';
  }
  if (el.children.length === 0) return s + '/>';
  s += '>';
  for (const c of el.children) s += typeof c === 'string' ? escapeText(c) : serialize(c);
  return s + '</' + el.name + '>';
}
