import type { Database, Key } from 'lmdb';
import { MAX } from './keys.js';

/** The range options covering every key that starts with the elements of `prefix`. */
export function prefixRange(prefix: Key[]): { start: Key[]; end: Key[] } {
  return { start: prefix, end: [...prefix, MAX] };
}

/** Inside a write transaction: removes every key starting with `prefix`; returns how many. */
export function removePrefix<V>(db: Database<V, Key>, prefix: Key[]): number {
  const keys = Array.from(db.getKeys(prefixRange(prefix)));
  for (const key of keys) void db.remove(key);
  return keys.length;
}
