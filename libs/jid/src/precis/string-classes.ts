// The PRECIS string classes (RFC 8264 section 4): IdentifierClass and
// FreeformClass, evaluated over the derived property of each code point.

import { derivedProperty } from './code-point-properties.js';
import { contextJAllows, contextOAllows } from './contextual-rules.js';
import { PrecisError, formatCodePoint } from './precis-error.js';

export type StringClass = 'IdentifierClass' | 'FreeformClass';

/** Throws PrecisError unless every code point of s is valid in the class. */
export function enforceStringClass(s: string, stringClass: StringClass): void {
  const cps = Array.from(s, (ch) => ch.codePointAt(0) as number);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] as number;
    switch (derivedProperty(cp)) {
      case 'PVALID':
        break;
      case 'ID_DIS_OR_FREE_PVAL':
        if (stringClass === 'FreeformClass') break;
        throw new PrecisError(
          'disallowed',
          `${formatCodePoint(cp)} is not allowed in ${stringClass}`,
        );
      case 'CONTEXTJ':
        if (contextJAllows(cps, i)) break;
        throw new PrecisError('context', `${formatCodePoint(cp)} is not allowed in this context`);
      case 'CONTEXTO':
        if (contextOAllows(cps, i)) break;
        throw new PrecisError('context', `${formatCodePoint(cp)} is not allowed in this context`);
      case 'UNASSIGNED':
        throw new PrecisError('disallowed', `${formatCodePoint(cp)} is unassigned`);
      case 'DISALLOWED':
        throw new PrecisError('disallowed', `${formatCodePoint(cp)} is disallowed`);
    }
  }
}
