/**
 * A small structural validator for bus messages: each check answers
 * `undefined` when the value fits, or what was expected where it does not
 * (`env.stage: expected one of out, in`). Unknown extra fields are allowed:
 * a newer peer may add optional fields without breaking an older reader.
 */
export type Check = (value: unknown) => string | undefined;

export const str: Check = (v) => (typeof v === 'string' ? undefined : 'expected a string');

export const num: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number';

export const int: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0
    ? undefined
    : 'expected a non-negative integer';

export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'expected a boolean');

export function oneOf(values: readonly string[]): Check {
  const set = new Set(values);
  return (v) =>
    typeof v === 'string' && set.has(v) ? undefined : `expected one of ${values.join(', ')}`;
}

export function listOf(item: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'expected an array';
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i]);
      if (e !== undefined) return `[${i}]: ${e}`;
    }
    return undefined;
  };
}

/** Marks a field of {@link fields} as optional (absent or `undefined`). */
export interface Optional {
  readonly optional: Check;
}

export function opt(check: Check): Optional {
  return { optional: check };
}

/** An object with these fields (required unless wrapped in {@link opt}). */
export function fields(spec: Record<string, Check | Optional>): Check {
  const entries = Object.entries(spec);
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
    const o = v as Record<string, unknown>;
    for (const [name, check] of entries) {
      const value = o[name];
      let e: string | undefined;
      if (typeof check === 'function') e = value === undefined ? 'missing' : check(value);
      else if (value !== undefined) e = check.optional(value);
      if (e !== undefined) return `${name}: ${e}`;
    }
    return undefined;
  };
}
