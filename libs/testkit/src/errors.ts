export type TestkitErrorCode = 'binary-not-found' | 'start-failed' | 'start-timeout' | 'stopped';

/** A helper process could not be found, started or used. */
export class TestkitError extends Error {
  override readonly name = 'TestkitError';
  readonly code: TestkitErrorCode;

  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
