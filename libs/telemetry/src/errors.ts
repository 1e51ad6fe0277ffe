export type TelemetryErrorCode = 'metric-conflict' | 'listen-failed';

/** A metric could not be registered, or the HTTP endpoint could not start. */
export class TelemetryError extends Error {
  override readonly name = 'TelemetryError';
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
