import type { SaxesTagNS } from 'saxes';
import { Element, setOwnAttr } from './element.js';

/**
 * Turns a complete saxes open tag into an {@link Element}, attributes as
 * written.
 *
 * `ancestors` are the open elements of the same top-level element, outermost
 * first (empty for the top-level element itself). When `outerScope` is true
 * the top-level element sits inside a stream whose header may declare
 * namespaces; every declaration the element relies on but does not carry is
 * then copied in, so the finished tree is namespace-complete on its own:
 * - the default namespace goes onto the top-level element when that element
 *   is unprefixed, otherwise onto the first unprefixed element that needs it;
 * - a prefix declaration goes onto the top-level element.
 */
export function buildElement(
  tag: SaxesTagNS,
  ancestors: readonly Element[],
  outerScope: boolean,
): Element {
  const attrs: Record<string, string> = {};
  const source = tag.attributes;
  const prefix = tag.prefix;
  const topLevel = ancestors.length === 0;

  if (outerScope && topLevel) {
    // Declared first so that it leads the serialized attribute list.
    if (prefix === '') {
      if (tag.uri !== '' && !Object.hasOwn(source, 'xmlns')) attrs.xmlns = tag.uri;
    } else if (prefix !== 'xml' && !Object.hasOwn(source, 'xmlns:' + prefix)) {
      attrs['xmlns:' + prefix] = tag.uri;
    }
  }

  let prefixedAttrs = false;
  for (const name in source) {
    const attr = source[name]!;
    setOwnAttr(attrs, name, attr.value);
    if (attr.prefix !== '' && attr.prefix !== 'xmlns' && attr.prefix !== 'xml') {
      prefixedAttrs = true;
    }
  }

  const el = new Element(tag.name);
  el.attrs = attrs;
  if (!outerScope) return el;

  if (!topLevel) {
    if (prefix !== '') {
      if (prefix !== 'xml') declarePrefix(el, ancestors, prefix, tag.uri);
    } else if (tag.uri !== '' && ancestors[0]!.name.includes(':')) {
      if (!inScope(el, ancestors, 'xmlns')) attrs.xmlns = tag.uri;
    }
  }
  if (prefixedAttrs) {
    for (const name in source) {
      const attr = source[name]!;
      if (attr.prefix !== '' && attr.prefix !== 'xmlns' && attr.prefix !== 'xml') {
        declarePrefix(el, ancestors, attr.prefix, attr.uri);
      }
    }
  }
  return el;
}

function declarePrefix(
  el: Element,
  ancestors: readonly Element[],
  prefix: string,
  uri: string,
): void {
  const key = 'xmlns:' + prefix;
  if (inScope(el, ancestors, key)) return;
  const target = ancestors[0] ?? el;
  target.attrs[key] = uri;
}

/** Whether `el` or one of its ancestors inside the top-level element carries attribute `key`. */
function inScope(el: Element, ancestors: readonly Element[], key: string): boolean {
  if (Object.hasOwn(el.attrs, key)) return true;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    if (Object.hasOwn(ancestors[i]!.attrs, key)) return true;
  }
  return false;
}
