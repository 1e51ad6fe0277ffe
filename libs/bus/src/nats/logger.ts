/** The logging the NATS bus needs; `@parley/telemetry`'s Logger fits. */
export interface BusLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const write =
  (level: string, out: (line: string) => void) =>
  (msg: string, fields?: Record<string, unknown>): void =>
    out(`[bus] ${level} ${msg}${fields === undefined ? '' : ' ' + JSON.stringify(fields)}`);

/** Warnings and errors to stderr, info dropped: the default when no logger is given. */
export const consoleLogger: BusLogger = {
  info: () => {},
  warn: write('warn', (l) => console.warn(l)),
  error: write('error', (l) => console.error(l)),
};
