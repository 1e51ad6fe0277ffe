import type { Key } from 'lmdb';
import { StoreError } from '../errors.js';

/**
 * Key helpers. Composite keys are lmdb array keys (ordered-binary): elements
 * are joined by a 0x00 byte and strings are UTF-8 with bytes below 0x05
 * escaped, so [owner, x] for one owner sorts contiguously and never
 * interleaves with a longer owner sharing the same prefix.
 */

/** Sorts after every string or number element: `[owner, MAX]` ends an owner's range. */
export const MAX = new Uint8Array([0xff]);

/** LMDB's key limit with the default page size, minus slack for escapes and separators. */
const MAX_KEY_BYTES = 1978 - 16;

/** Throws `invalid-argument` when the strings of a key would not fit in an LMDB key. */
export function checkKeySize(...parts: string[]): void {
  let bytes = 0;
  for (const part of parts) bytes += Buffer.byteLength(part, 'utf8') + 1;
  if (bytes > MAX_KEY_BYTES) {
    throw new StoreError('invalid-argument', `key of ${bytes} bytes exceeds LMDB's key size limit`);
  }
}

/** Whether the strings fit in one key: a key that cannot exist cannot be found either. */
export function fitsKey(...parts: string[]): boolean {
  try {
    checkKeySize(...parts);
    return true;
  } catch {
    return false;
  }
}

export function asString(key: Key, db: string): string {
  if (typeof key !== 'string') throw corruptKey(key, db);
  return key;
}

/** Reads a composite key whose elements are `shape` ('s' string, 'n' number). */
export function asTuple<T extends unknown[]>(key: Key, shape: string, db: string): T {
  if (!Array.isArray(key) || key.length !== shape.length) throw corruptKey(key, db);
  for (let i = 0; i < shape.length; i++) {
    const expected = shape[i] === 'n' ? 'number' : 'string';
    if (typeof key[i] !== expected) throw corruptKey(key, db);
  }
  return key as unknown as T;
}

function corruptKey(key: Key, db: string): StoreError {
  return new StoreError('corrupt', `unexpected key in ${db}: ${String(key)}`);
}
