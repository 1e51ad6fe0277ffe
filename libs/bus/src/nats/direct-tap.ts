/**
 * A frame of the direct transport on its way out of a bus: a durable message
 * from a sender (to NATS or to a consumer in the same process), or a
 * confirmation (or NAK) from a consumer to a sender.
 */
export interface DirectFrame {
  readonly kind: 'message' | 'confirm';
  /** A message's subject; a confirmation's `<inbox>.<scope>.<handledUpTo>`. */
  readonly subject: string;
  /** A message's `<inbox>.<scope>.<seq>.<lo>.<attempt>`. */
  readonly reply?: string;
  /** A confirmation that also asks for everything after it again. */
  readonly nak?: boolean;
}

/**
 * Fault injection for tests of the direct transport (`NatsBusOptions.directTap`).
 * It sees every frame and lets it go on by calling `pass`: never (lost),
 * twice (duplicated), or later (delayed, reordered). Unset in production.
 */
export type DirectTap = (frame: DirectFrame, pass: () => void) => void;
