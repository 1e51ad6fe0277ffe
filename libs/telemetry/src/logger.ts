import pino from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

/** Pino's numeric values for the levels Parley uses. */
const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
};

/** Keys every record carries; fields and bindings with these names are dropped. */
const RESERVED = new Set(['time', 'level', 'msg']);

/** How deep inside a field's value an Error is looked for. */
const MAX_ERROR_DEPTH = 4;

/** How many links of a `cause` chain are completed beyond what pino serialises. */
const MAX_CAUSE_DEPTH = 8;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger adding `fields` to every record; it shares level and sink with its parent. */
  child(fields: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
  /** Current threshold; setting it affects the whole logger family. */
  level: LogLevel;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  nodeId?: string;
  /** Extra fields on every record. */
  fields?: LogFields;
  /** Receives each record as one line including the trailing newline. Default: stdout. */
  sink?: (line: string) => void;
  /** Clock for the `time` field (tests). */
  now?: () => Date;
}

/** What a logger and all its children share. */
interface Family {
  level: LogLevel;
  threshold: number;
  /** The pino logger without bindings; records whose fields replace a binding go through it. */
  core: PinoLogger;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL_VALUES, value);
}

/**
 * A structured JSON logger on pino writing one line per record:
 * `{"level","time","service","nodeId",...bindings,...fields,"msg"}`, with the
 * level as its name and the time in ISO 8601. Errors anywhere in the fields are
 * serialised with type, message, stack, `code` and the `cause` chain. Records
 * below the level are discarded before anything is formatted.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const now = opts.now ?? (() => new Date());
  const sink = opts.sink;
  const destination: DestinationStream =
    sink === undefined ? process.stdout : { write: (line) => sink(line) };
  const core = pino(
    {
      // The family's threshold filters (see `Family`); pino writes whatever reaches it.
      level: 'debug',
      base: null,
      messageKey: 'msg',
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => prepareFields(fields),
      },
      // Errors are serialised by `prepareFields` under every key; pino's default `err`
      // serializer would take that output for an error and serialise it again.
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );
  const level = opts.level ?? 'info';
  const family: Family = { level, threshold: LEVEL_VALUES[level], core };
  const bindings: Record<string, unknown> = { service: opts.service };
  if (opts.nodeId !== undefined) bindings['nodeId'] = opts.nodeId;
  Object.assign(bindings, opts.fields);
  return new FamilyLogger(family, core.child(prepareFields(bindings)), bindings);
}

class FamilyLogger implements Logger {
  constructor(
    private readonly family: Family,
    private readonly pino: PinoLogger,
    /** Every field this logger adds, as given (pino holds them serialised). */
    private readonly bindings: LogFields,
  ) {}

  get level(): LogLevel {
    return this.family.level;
  }

  set level(level: LogLevel) {
    if (!isLogLevel(level)) throw new TypeError(`unknown log level: ${String(level)}`);
    this.family.level = level;
    this.family.threshold = LEVEL_VALUES[level];
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_VALUES[level] >= this.family.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.debug >= this.family.threshold) this.write('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.info >= this.family.threshold) this.write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.warn >= this.family.threshold) this.write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.error >= this.family.threshold) this.write('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    const bindings = { ...this.bindings, ...fields };
    // pino appends a child's bindings to its parent's, so a key bound twice would
    // appear twice in the line: a child replacing a binding starts from the core.
    const pinoChild = this.replacesBinding(fields)
      ? this.family.core.child(prepareFields(bindings))
      : this.pino.child(prepareFields(fields));
    return new FamilyLogger(this.family, pinoChild, bindings);
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    try {
      if (fields === undefined) this.pino[level](msg);
      else if (this.replacesBinding(fields))
        this.family.core[level]({ ...this.bindings, ...fields }, msg);
      else this.pino[level](fields, msg);
    } catch {
      // A failing sink or a throwing getter loses the record, never the caller.
    }
  }

  private replacesBinding(fields: LogFields): boolean {
    for (const key in fields) {
      if (Object.hasOwn(this.bindings, key)) return true;
    }
    return false;
  }
}

/** `fields` without reserved keys and with its Errors serialised; copied only when something changes. */
function prepareFields(fields: LogFields): LogFields {
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    if (RESERVED.has(key)) {
      out ??= { ...fields };
      delete out[key];
      continue;
    }
    const value = fields[key];
    const ready = withErrorsSerialised(value, 0);
    if (ready !== value) {
      out ??= { ...fields };
      out[key] = ready;
    }
  }
  return out ?? fields;
}

/** `value` with the Errors in it (itself, or inside plain objects and arrays) serialised. */
function withErrorsSerialised(value: unknown, depth: number): unknown {
  if (value instanceof Error) return serializeError(value);
  if (depth >= MAX_ERROR_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const ready = withErrorsSerialised(item, depth + 1);
      if (ready !== item) {
        out ??= [...value];
        out[i] = ready;
      }
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    const ready = withErrorsSerialised(item, depth + 1);
    if (ready !== item) {
      out ??= { ...record };
      out[key] = ready;
    }
  }
  return out ?? value;
}

/**
 * pino's `errWithCause` view of an Error (`type`, `message`, `stack`, enumerable
 * own properties such as `code`, `aggregateErrors` and a nested `cause`), completed
 * along the chain with a non-enumerable `code` and a `cause` that is not an Error
 * (a string or a thrown object), which pino leaves out.
 */
function serializeError(err: Error): Record<string, unknown> {
  const out = pino.stdSerializers.errWithCause(err) as Record<string, unknown>;
  let raw: unknown = err;
  let view: unknown = out;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (!isObject(raw) || !isObject(view)) break;
    const code = raw['code'];
    if (view['code'] === undefined && code !== undefined) view['code'] = code;
    const cause = raw['cause'];
    if (view['cause'] === undefined && cause !== undefined && !isErrorLike(cause)) {
      view['cause'] = cause;
      break;
    }
    raw = cause;
    view = view['cause'];
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isErrorLike(value: unknown): boolean {
  return isObject(value) && typeof value['message'] === 'string';
}
