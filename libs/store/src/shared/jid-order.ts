/**
 * Orders strings by Unicode code point, which is the order of their UTF-8
 * bytes and therefore the order LMDB (and most byte-ordered engines) keeps
 * string keys in. Plain `<` compares UTF-16 code units instead and disagrees
 * for astral characters versus U+E000..U+FFFF, so every backend sorts with this.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (0xD800..0xDFFF) above 0xE000..0xFFFF so code-unit order matches code-point order. */
function rank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** The domain part of a bare JID ("alice@example.org" -> "example.org"; a domain JID is its own domain). */
export function domainOf(jid: string): string {
  const at = jid.indexOf('@');
  return at < 0 ? jid : jid.slice(at + 1);
}
