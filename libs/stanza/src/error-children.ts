/**
 * The children every RFC 6120 error element shares: stream errors (4.9.2) and
 * stanza errors (8.3.2) each hold one defined condition, an optional `<text/>`
 * in the same namespace and an optional application-specific condition in
 * another namespace. Internal to this package; not exported by the entry.
 */
import type { Element } from '@parley/xml';

export interface ErrorChildren {
  /** The first child in the conditions namespace other than `<text/>`. */
  condition?: Element;
  text?: string;
  lang?: string;
  /** A copy of the first child outside the conditions namespace. */
  appCondition?: Element;
}

/** Reads the children of a received error element whose conditions live in `ns`. */
export function readErrorChildren(errorEl: Element, ns: string): ErrorChildren {
  const found: ErrorChildren = {};
  for (const child of errorEl.getChildElements()) {
    if (child.getNS() !== ns) {
      found.appCondition ??= child.clone();
    } else if (child.localName === 'text') {
      found.text = child.text();
      found.lang = child.attr('xml:lang');
    } else {
      found.condition ??= child;
    }
  }
  return found;
}
