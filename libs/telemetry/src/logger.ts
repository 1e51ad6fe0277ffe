import { fieldsFragment } from './log-format.js';
import type { LogFields } from './log-format.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type { LogFields } from './log-format.js';

const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Keys every record carries; call fields with these names are dropped. */
const RESERVED = new Set(['time', 'level', 'msg']);

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

interface SharedState {
  level: LogLevel;
  threshold: number;
  sink: (line: string) => void;
  now: () => Date;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL_VALUES, value);
}

/**
 * A structured JSON logger writing one line per record:
 * `{"time","level","msg","service","nodeId",...fields}`. Records below the
 * level are discarded before anything is formatted.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? 'info';
  const state: SharedState = {
    level,
    threshold: LEVEL_VALUES[level],
    sink: opts.sink ?? ((line) => void process.stdout.write(line)),
    now: opts.now ?? (() => new Date()),
  };
  const base: Record<string, unknown> = { service: opts.service };
  if (opts.nodeId !== undefined) base['nodeId'] = opts.nodeId;
  return new JsonLogger(state, { ...base, ...opts.fields });
}

class JsonLogger implements Logger {
  /** Pre-serialised bindings, starting with a comma (or empty). */
  private readonly suffix: string;
  private readonly bindingKeys: ReadonlySet<string>;

  constructor(
    private readonly state: SharedState,
    private readonly bindings: LogFields,
  ) {
    const fragment = fieldsFragment(bindings, RESERVED);
    this.suffix = fragment === '' ? '' : `,${fragment}`;
    this.bindingKeys = new Set(Object.keys(bindings));
  }

  get level(): LogLevel {
    return this.state.level;
  }

  set level(level: LogLevel) {
    this.state.level = level;
    this.state.threshold = LEVEL_VALUES[level];
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_VALUES[level] >= this.state.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.debug >= this.state.threshold) this.write('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.info >= this.state.threshold) this.write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.warn >= this.state.threshold) this.write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    if (LEVEL_VALUES.error >= this.state.threshold) this.write('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.state, { ...this.bindings, ...fields });
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    let rest = this.suffix;
    if (fields !== undefined) {
      if (this.overridesBinding(fields)) {
        const merged = fieldsFragment({ ...this.bindings, ...fields }, RESERVED);
        rest = merged === '' ? '' : `,${merged}`;
      } else {
        const extra = fieldsFragment(fields, RESERVED);
        if (extra !== '') rest += `,${extra}`;
      }
    }
    const time = this.state.now().toISOString();
    const line = `{"time":"${time}","level":"${level}","msg":${JSON.stringify(String(msg))}${rest}}\n`;
    try {
      this.state.sink(line);
    } catch {
      // A failing sink must never take the caller down.
    }
  }

  private overridesBinding(fields: LogFields): boolean {
    for (const key in fields) {
      if (this.bindingKeys.has(key)) return true;
    }
    return false;
  }
}
