/** Why a set of modules cannot start. Each is a configuration or programming error. */
export type ModuleErrorCode =
  | 'duplicate-module'
  | 'unknown-module'
  | 'missing-dependency'
  | 'dependency-cycle'
  | 'duplicate-handler'
  | 'duplicate-service'
  | 'missing-service'
  | 'start-failed';

/** A module set that cannot start; the message names the modules involved. */
export class ModuleError extends Error {
  override name = 'ModuleError';
  constructor(
    readonly code: ModuleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
