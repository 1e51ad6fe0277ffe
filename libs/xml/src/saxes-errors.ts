import type { XmlErrorCondition } from './errors.js';

/**
 * Maps a saxes error message onto an RFC 6120 condition. saxes reports every
 * problem as a plain Error whose message names it; the fragments below are
 * the ones it uses for constructs RFC 6120 section 11 restricts or for
 * namespace prefix errors. Everything else is a well-formedness error.
 */
const RULES: readonly (readonly [string, XmlErrorCondition])[] = [
  ['unbound namespace prefix', 'bad-namespace-prefix'],
  ['may not have "xmlns" as prefix', 'bad-namespace-prefix'],
  ['undefined entity', 'restricted-xml'],
  ['doctype', 'restricted-xml'],
  ['must be at the start of the document', 'restricted-xml'],
  ['must appear at the start of the document', 'restricted-xml'],
  ['processing instruction', 'restricted-xml'],
  ['malformed comment', 'restricted-xml'],
];

export function conditionForSaxesError(message: string): XmlErrorCondition {
  for (const [fragment, condition] of RULES) {
    if (message.includes(fragment)) return condition;
  }
  return 'not-well-formed';
}
