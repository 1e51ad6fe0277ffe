/** Stable machine-readable reasons a JID (or one of its parts) was refused. */
export type JIDErrorCode =
  'malformed' | 'bad-localpart' | 'bad-domainpart' | 'bad-resourcepart' | 'too-long';

/** Thrown when a string is not a valid RFC 7622 JID or JID part. */
export class JIDError extends Error {
  override readonly name = 'JIDError';
  readonly code: JIDErrorCode;

  constructor(code: JIDErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
