/**
 * The logging the NATS bus needs; `@parley/telemetry`'s Logger fits. Field
 * values are anything; errors are passed as the Error itself (`{ err }`), so a
 * logger can write their stack and cause.
 */
export interface BusLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** console's formatting prints an Error in the fields with its stack and cause. */
const write =
  (level: string, out: (...args: unknown[]) => void) =>
  (msg: string, fields?: Record<string, unknown>): void =>
    fields === undefined ? out(`[bus] ${level} ${msg}`) : out(`[bus] ${level} ${msg}`, fields);

/** Warnings and errors to stderr, info dropped: the default when no logger is given. */
export const consoleLogger: BusLogger = {
  info: () => {},
  warn: write('warn', (...args) => console.warn(...args)),
  error: write('error', (...args) => console.error(...args)),
};
