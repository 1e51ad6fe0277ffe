// IP address domainparts (RFC 7622 section 3.2: IP-literal and IPv4address
// of RFC 3986 section 3.2.2). IPv6 addresses are put in the canonical text
// form of RFC 5952 so that equal addresses compare equal.

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Parses a dotted-quad IPv4 address (no leading zeros); undefined if invalid. */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!DEC_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets;
}

function parseGroups(s: string, allowIPv4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (allowIPv4Tail && i === parts.length - 1 && part.includes('.')) {
      const octets = parseIPv4(part);
      if (octets === undefined) return undefined;
      const [a, b, c, d] = octets as [number, number, number, number];
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Parses an IPv6 address (RFC 4291 section 2.2 text forms) into eight 16-bit groups. */
export function parseIPv6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const groups = parseGroups(s, true);
    return groups?.length === 8 ? groups : undefined;
  }
  const head = parseGroups(halves[0] as string, false);
  const tail = parseGroups(halves[1] as string, true);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Formats eight 16-bit groups in the RFC 5952 canonical form. */
export function formatIPv6(groups: readonly number[]): string {
  // IPv4-mapped addresses (::ffff:0:0/96) use the mixed notation (RFC 5952 section 5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] as number;
    const lo = groups[7] as number;
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  // The longest run of two or more zero groups (the first one on a tie) becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/**
 * Normalizes "[IPv6]" to "[canonical]"; undefined when the text inside the
 * brackets is not an IPv6 address (zone identifiers and IPvFuture are refused).
 */
export function normalizeIPLiteral(s: string): string | undefined {
  if (!s.startsWith('[') || !s.endsWith(']')) return undefined;
  const groups = parseIPv6(s.slice(1, -1));
  return groups === undefined ? undefined : `[${formatIPv6(groups)}]`;
}
