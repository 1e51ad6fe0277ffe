/**
 * Traffic shaping of client input (the `shaper` section) and the byte
 * bounds of the queues a client can make the server fill
 * (`c2s.maxPendingOutputBytes`, `sm.maxQueueBytes`, `csi.maxQueuedBytes`).
 * See docs/security.md, "Traffic shaping and queue bounds".
 */

/** Two token buckets: bytes and stanzas a stream may send, per second, with a burst. */
export interface ShaperLimits {
  /** Sustained input bytes per second; 0 = no byte limit. */
  bytesPerSecond: number;
  /** Bytes that may arrive at once before the rate applies (the bucket's size). */
  burstBytes: number;
  /** Sustained stanzas (message, presence, iq) per second; 0 = no stanza limit. */
  stanzasPerSecond: number;
  /** Stanzas that may arrive at once before the rate applies. */
  burstStanzas: number;
}

export interface ShaperConfig {
  /** Shape client input (pause reading when a bucket is empty); false = no shaping at all. */
  enabled: boolean;
  /** Streams before SASL success. */
  unauthenticated: ShaperLimits;
  /** Streams after SASL success. */
  authenticated: ShaperLimits;
  /** Bare JIDs whose authenticated streams are not shaped (bots, bridges, admins). */
  exemptJids: string[];
}
