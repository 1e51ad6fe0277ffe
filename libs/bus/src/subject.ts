/** NATS-compatible subject matching: `*` matches one token, `>` one or more trailing tokens. */
/** A literal subject: non-empty tokens without whitespace or wildcards. */
const LITERAL = /^[^\s.*>]+(?:\.[^\s.*>]+)*$/;

export function isValidSubject(subject: string, allowWildcards: boolean): boolean {
  if (!allowWildcards) return LITERAL.test(subject);
  if (subject.length === 0) return false;
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0 || /\s/.test(t)) return false;
    if (t === '*' || t === '>') {
      if (!allowWildcards) return false;
      if (t === '>' && i !== tokens.length - 1) return false;
      continue;
    }
    if (t.includes('*') || t.includes('>')) return false;
  }
  return true;
}

export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const pt = p[i]!;
    if (pt === '>') return s.length > i;
    if (i >= s.length) return false;
    if (pt !== '*' && pt !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * `subjectMatches(pattern, ·)` as a function, without splitting for the
 * common shapes (`a.b`, `a.b.*`, `a.b.>`): it runs once per message handed
 * over in-process.
 */
export function subjectMatcher(pattern: string): (subject: string) => boolean {
  const tokens = pattern.split('.');
  const wild = tokens.filter((t) => t === '*' || t === '>').length;
  if (wild === 0) return (s) => s === pattern;
  const last = tokens.at(-1);
  if (wild === 1 && (last === '*' || last === '>')) {
    const prefix = pattern.slice(0, -1);
    if (last === '>') return (s) => s.length > prefix.length && s.startsWith(prefix);
    return (s) =>
      s.length > prefix.length && s.startsWith(prefix) && s.indexOf('.', prefix.length) === -1;
  }
  return (s) => subjectMatches(pattern, s);
}
