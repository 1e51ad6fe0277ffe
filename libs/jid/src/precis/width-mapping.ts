// The PRECIS width mapping rule (RFC 8264 section 5.2.1, as used by the
// UsernameCaseMapped profile of RFC 8265 section 3.3): fullwidth and halfwidth
// code points are mapped to their <wide>/<narrow> decomposition mappings.

import { WIDTH_DECOMPOSITIONS } from '../unicode-data.js';

const decompositions = new Map<number, string>();
let lowest = Infinity;
for (let i = 0; i + 1 < WIDTH_DECOMPOSITIONS.length; i += 2) {
  const from = WIDTH_DECOMPOSITIONS[i] as number;
  decompositions.set(from, String.fromCodePoint(WIDTH_DECOMPOSITIONS[i + 1] as number));
  lowest = Math.min(lowest, from);
}

/** Maps every fullwidth or halfwidth code point in s to its decomposition. */
export function mapWidth(s: string): string {
  let out = '';
  let changed = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    const mapped = cp >= lowest ? decompositions.get(cp) : undefined;
    if (mapped === undefined) {
      out += ch;
    } else {
      out += mapped;
      changed = true;
    }
  }
  return changed ? out : s;
}
