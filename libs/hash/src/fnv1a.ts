/**
 * FNV-1a, 32 bits (Fowler, Noll, Vo; https://datatracker.ietf.org/doc/draft-eastlake-fnv/):
 * for each unit, XOR it into the hash, then multiply by the FNV prime.
 * Not a secret, only a stable spread: the same input gives the same value
 * in every process and release, which is what placing data needs.
 */

/** The 32-bit FNV offset basis: the hash of nothing. */
export const FNV1A32_OFFSET = 0x811c9dc5;
const FNV1A32_PRIME = 0x01000193;

/**
 * FNV-1a 32 over the UTF-16 code units of `s` (a code unit is one FNV
 * unit, so it equals the byte-wise hash only for ASCII). The routing
 * partition, the rendezvous weights and the MAM archive tags use it.
 */
export function fnv1a32(s: string): number {
  let h = FNV1A32_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV1A32_PRIME);
  return h >>> 0;
}

/** FNV-1a 32 over bytes. */
export function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = FNV1A32_OFFSET;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV1A32_PRIME);
  return h >>> 0;
}

const utf8 = new TextEncoder();

/** FNV-1a 32 over the UTF-8 bytes of `s`: the Cassandra listing shards use it. */
export function fnv1a32Utf8(s: string): number {
  return fnv1a32Bytes(utf8.encode(s));
}
