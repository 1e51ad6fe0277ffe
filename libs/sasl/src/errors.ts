/** Stable codes of {@link SaslError}. */
export type SaslErrorCode =
  /** A password is empty or fails SASLprep. */
  | 'invalid-password'
  /** A username is empty or fails SASLprep. */
  | 'invalid-username'
  /** An option or argument is out of range. */
  | 'invalid-argument'
  /** A SCRAM or PLAIN message does not follow its grammar. */
  | 'malformed-message'
  /** A mechanism name this package does not implement. */
  | 'unknown-mechanism'
  /** A method was called out of order (e.g. `start` twice, `final` before `first`). */
  | 'invalid-state'
  /** The SCRAM client received a server message it cannot accept. */
  | 'invalid-server-message'
  /** The server asked the SCRAM client for fewer iterations than it allows. */
  | 'iteration-count-too-low';

/**
 * Thrown for programming and configuration errors and by the SCRAM client.
 * Authentication failures of the server mechanisms are not thrown: they are
 * returned as `{ kind: 'failure' }` steps.
 */
export class SaslError extends Error {
  override name = 'SaslError';
  readonly code: SaslErrorCode;
  constructor(code: SaslErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
