/**
 * SASL2 (XEP-0388) with Bind2 (XEP-0386) and FAST tokens (XEP-0484): the
 * `c2s.sasl2` and `c2s.fast` sections; see docs/authentication.md.
 */
export interface Sasl2Config {
  /** Offer XEP-0388 SASL2 (with Bind2 and inline stream management) next to RFC 6120 SASL. */
  enabled: boolean;
}

export interface FastConfig {
  /** Offer XEP-0484 FAST tokens inside SASL2 (needs c2s.sasl2.enabled). */
  enabled: boolean;
  /** How long a token is valid from when it was issued. */
  tokenLifetimeMs: number;
  /** A token used with less than this much lifetime left is rotated: a new one comes in the success. */
  rotateBeforeMs: number;
}
