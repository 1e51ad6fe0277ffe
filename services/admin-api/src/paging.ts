/** Cursor pagination over lists a store gives whole (sorted by a key). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** The page of `items` (sorted by `key`) after cursor `after`. */
export function pageOf<T>(
  items: T[],
  key: (item: T) => string,
  limit: number,
  after: string | undefined,
): Page<T> {
  const rest = after === undefined ? items : items.filter((i) => key(i) > after);
  const slice = rest.slice(0, limit);
  const last = slice[slice.length - 1];
  return rest.length > limit && last !== undefined
    ? { items: slice, next: key(last) }
    : { items: slice };
}

export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}
