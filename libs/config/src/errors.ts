/** Stable error codes raised while loading configuration. */
export type ConfigErrorCode = 'invalid-value' | 'unknown-key' | 'bad-file';

export interface ConfigErrorOptions {
  /** Dotted key path the error is about, e.g. `c2s.port`. */
  key?: string;
  cause?: unknown;
}

/** A configuration value, key or file could not be accepted. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly key: string | undefined;

  constructor(code: ConfigErrorCode, message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.key = options.key;
  }
}
