/** RFC 7622 section 3: each of localpart, domainpart and resourcepart is 1 to 1023 octets. */
export const MAX_PART_OCTETS = 1023;

/**
 * Inputs longer than this many UTF-16 code units are refused before any
 * normalization work is done. Normalization never shrinks a valid part by
 * more than a small factor, so this only refuses garbage early.
 */
export const MAX_INPUT_UNITS = 4 * MAX_PART_OCTETS;

/** Number of octets the string occupies in UTF-8. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
