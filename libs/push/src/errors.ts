/** Why a push provider could not be set up or reached (not a delivery's outcome). */
export type PushErrorCode =
  /** A credential file is missing, unreadable or not what it should be. */
  | 'bad-credentials'
  /** The OAuth token endpoint refused or failed. */
  | 'token-failed';

export class PushError extends Error {
  override readonly name = 'PushError';

  constructor(
    readonly code: PushErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
