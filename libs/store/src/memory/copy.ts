import { withoutUndefined } from '../shared/record-values.js';

/** A private deep copy, so callers can never mutate what the memory store holds. */
export function copyRecord<T extends object>(value: T): T {
  return structuredClone(withoutUndefined(value));
}
