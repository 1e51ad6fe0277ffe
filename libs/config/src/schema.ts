/**
 * A tiny schema vocabulary: every configuration key is a {@link Field} that
 * knows its type name, default, documentation and how to parse a value coming
 * either from a JSON file (already typed) or from an environment variable (a
 * string).
 */

/** Thrown by field parsers; the loader prefixes the key path and wraps it in a ConfigError. */
export class FieldValueError extends Error {
  override readonly name = 'FieldValueError';
}

export interface Field<T> {
  readonly kind: 'field';
  /** Human readable type, e.g. `integer 1-65535`. */
  readonly type: string;
  readonly doc: string;
  /** Default value; a function when it depends on the host. */
  readonly default: T | (() => T);
  /** What describeConfig() shows as the default when `default` is computed. */
  readonly defaultDoc?: unknown;
  /** Parse a value from a JSON file or from programmatic overrides. */
  fromJson(value: unknown): T;
  /** Parse a value from an environment variable. */
  fromString(value: string): T;
}

interface FieldOptions<T> {
  default: T | (() => T);
  doc: string;
  defaultDoc?: unknown;
}

/** Renders an offending value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function fail(expected: string, got: unknown): never {
  throw new FieldValueError(`expected ${expected}, got ${show(got)}`);
}

function field<T>(
  type: string,
  opts: FieldOptions<T>,
  fromJson: (value: unknown) => T,
  fromString: (value: string) => T,
): Field<T> {
  const f: Field<T> = {
    kind: 'field',
    type,
    doc: opts.doc,
    default: opts.default,
    fromJson,
    fromString,
  };
  return opts.defaultDoc === undefined ? f : { ...f, defaultDoc: opts.defaultDoc };
}

export interface StringOptions extends FieldOptions<string> {
  /** Reject the empty string (default true). */
  nonEmpty?: boolean;
}

export function str(opts: StringOptions): Field<string> {
  const nonEmpty = opts.nonEmpty ?? true;
  const expected = nonEmpty ? 'a non-empty string' : 'a string';
  const check = (value: unknown): string => {
    if (typeof value !== 'string' || (nonEmpty && value.trim() === '')) fail(expected, value);
    return value;
  };
  return field('string', opts, check, check);
}

/** An optional string: absent (undefined) by default. */
export function optionalStr(opts: { doc: string }): Field<string | undefined> {
  const check = (value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') fail('a non-empty string', value);
    return value;
  };
  return field<string | undefined>(
    'string (optional)',
    { default: undefined, doc: opts.doc },
    check,
    (s) => (s === '' ? undefined : check(s)),
  );
}

export interface IntOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min}-${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return '';
}

function intChecker(min: number | undefined, max: number | undefined, expected: string) {
  return (value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(expected, value);
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      fail(expected, value);
    }
    return value;
  };
}

const INT_TEXT = /^[+-]?\d+$/;

export function int(opts: IntOptions): Field<number> {
  const range = rangeText(opts.min, opts.max);
  const expected = range === '' ? 'an integer' : `an integer ${range}`;
  const check = intChecker(opts.min, opts.max, expected);
  return field(range === '' ? 'integer' : `integer ${range}`, opts, check, (s) => {
    const t = s.trim();
    if (!INT_TEXT.test(t)) fail(expected, s);
    const n = Number(t);
    if (!Number.isSafeInteger(n)) fail(expected, s);
    try {
      return check(n);
    } catch {
      return fail(expected, s);
    }
  });
}

/** A TCP port 1-65535; with `allowZero`, 0 is accepted too (disabled or ephemeral, per key). */
export function port(opts: FieldOptions<number> & { allowZero?: boolean }): Field<number> {
  return int({ ...opts, min: opts.allowZero === true ? 0 : 1, max: 65535 });
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function bool(opts: FieldOptions<boolean>): Field<boolean> {
  const expected = 'a boolean (true/false)';
  return field(
    'boolean',
    opts,
    (value) => {
      if (typeof value !== 'boolean') fail(expected, value);
      return value;
    },
    (s) => {
      const t = s.trim().toLowerCase();
      if (TRUE_WORDS.has(t)) return true;
      if (FALSE_WORDS.has(t)) return false;
      return fail(expected, s);
    },
  );
}

export function oneOf<const V extends string>(
  values: readonly V[],
  opts: FieldOptions<V>,
): Field<V> {
  const expected = `one of ${values.join(', ')}`;
  const check = (value: unknown): V => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      fail(expected, value);
    }
    return value as V;
  };
  return field(values.map((v) => `'${v}'`).join(' | '), opts, check, (s) => check(s.trim()));
}

export interface ListOptions<T> extends FieldOptions<T[]> {
  /** Minimum number of entries (default 0). */
  min?: number;
}

/**
 * A list of `item`s: a JSON array in files, a comma-separated string in the
 * environment. Duplicates are removed, order is kept.
 */
export function list<T>(item: Field<T>, opts: ListOptions<T>): Field<T[]> {
  const min = opts.min ?? 0;
  const parseAll = (values: readonly unknown[], parse: (v: never) => T): T[] => {
    const out: T[] = [];
    values.forEach((v, i) => {
      let parsed: T;
      try {
        parsed = parse(v as never);
      } catch (err) {
        if (err instanceof FieldValueError) {
          throw new FieldValueError(`[${i}]: ${err.message}`);
        }
        throw err;
      }
      if (!out.includes(parsed)) out.push(parsed);
    });
    if (out.length < min) {
      throw new FieldValueError(
        `expected at least ${min} entr${min === 1 ? 'y' : 'ies'}, got ${show(values)}`,
      );
    }
    return out;
  };
  return field(
    `list of ${item.type}`,
    opts,
    (value) => {
      if (!Array.isArray(value)) fail(`a list of ${item.type}`, value);
      return parseAll(value, (v: unknown) => item.fromJson(v));
    },
    (s) => {
      const parts = s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      return parseAll(parts, (v: string) => item.fromString(v));
    },
  );
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_TEXT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

export interface DurationOptions extends FieldOptions<number> {
  /** Smallest accepted value in milliseconds (default 0). */
  min?: number;
  max?: number;
}

/**
 * A duration in milliseconds. Accepts an integer number of milliseconds, or a
 * string such as `500ms`, `30s`, `5m`, `1h` (a bare number string is ms).
 */
export function durationMs(opts: DurationOptions): Field<number> {
  const min = opts.min ?? 0;
  const range = rangeText(min, opts.max);
  const expected = `a duration in ms ${range} (e.g. 30000, "500ms", "30s", "5m")`;
  const check = intChecker(min, opts.max, expected);
  const fromString = (s: string): number => {
    const m = DURATION_TEXT.exec(s.trim());
    const unit = DURATION_UNITS[m?.[2] ?? 'ms'];
    if (!m || unit === undefined) fail(expected, s);
    const ms = Number(m[1]) * unit;
    if (!Number.isSafeInteger(ms)) fail(expected, s);
    try {
      return check(ms);
    } catch {
      return fail(expected, s);
    }
  };
  return field(
    `duration ms ${range}`,
    opts,
    (value) => (typeof value === 'string' ? fromString(value) : check(value)),
    fromString,
  );
}
