export type KubeLocalErrorCode =
  | 'render-failed'
  | 'invalid-object'
  | 'unsupported'
  | 'missing-reference'
  | 'runs-as-root'
  | 'docker-failed'
  | 'not-ready';

/** A failure of the local runner; `code` says which kind. */
export class KubeLocalError extends Error {
  override readonly name = 'KubeLocalError';

  constructor(
    readonly code: KubeLocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
