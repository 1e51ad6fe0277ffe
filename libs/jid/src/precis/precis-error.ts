/** Why a string was refused by a PRECIS profile. */
export type PrecisErrorCode = 'empty' | 'disallowed' | 'context' | 'bidi' | 'unstable';

/** Thrown by the PRECIS profiles when enforcement fails. */
export class PrecisError extends Error {
  override readonly name = 'PrecisError';
  readonly code: PrecisErrorCode;

  constructor(code: PrecisErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Formats a code point as U+XXXX for error messages. */
export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
