/**
 * Resource limits applied while parsing untrusted XML. Exceeding any of them
 * is reported as the `policy-violation` condition (RFC 6120 section 4.9.3.14).
 */
export interface XmlLimits {
  /**
   * Largest top-level element (stanza, stream header, WebSocket message) in
   * UTF-8 bytes of raw input, counted from its first non-whitespace byte.
   * Checked while the element streams in, so an oversized one is refused
   * before it is buffered whole.
   */
  maxStanzaBytes: number;
  /** Deepest element nesting inside a stanza; the stanza itself is depth 1. */
  maxDepth: number;
  /** Most attributes (namespace declarations included) on one element. */
  maxAttributes: number;
  /** Largest attribute value in UTF-8 bytes, after entity expansion. Unlimited when unset. */
  maxAttrValueBytes?: number;
  /** Largest open tag (`<name ... >`) in UTF-8 bytes of raw input. Unlimited when unset. */
  maxOpenTagBytes?: number;
}

export const DEFAULT_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxStanzaBytes: 262144,
  maxDepth: 32,
  maxAttributes: 64,
});

/** Fills unset fields of `limits` from {@link DEFAULT_LIMITS}. */
export function resolveLimits(limits?: Partial<XmlLimits>): Readonly<XmlLimits> {
  if (limits === undefined) return DEFAULT_LIMITS;
  const out: XmlLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits) as (keyof XmlLimits)[]) {
    const v = limits[key];
    if (v !== undefined) out[key] = v;
  }
  return Object.freeze(out);
}
