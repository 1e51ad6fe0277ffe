/**
 * Stable failure codes:
 * - `closed`: the stores were closed; open them again.
 * - `invalid-argument`: the caller passed something the contract forbids
 *   (non-integer limit or cap, empty JID, a key too large for the backend).
 * - `corrupt`: the backend holds data this code cannot interpret.
 * - `backend`: the storage engine itself failed (I/O, disk full, lock); see `cause`.
 */
export type StoreErrorCode = 'closed' | 'invalid-argument' | 'corrupt' | 'backend';

export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Passes StoreErrors through; wraps anything else as a `backend` failure of `operation`. */
export function toStoreError(err: unknown, operation: string): StoreError {
  if (err instanceof StoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreError('backend', `${operation} failed: ${detail}`, { cause: err });
}
