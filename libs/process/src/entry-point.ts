import { ConfigError } from '@parley/config';

/**
 * Runs the `main` of a process: a configuration error ends it with code 2
 * and `configuration error: <key and what was expected>` on stderr, any
 * other failure with code 1 and the error.
 */
export function runEntryPoint(
  main: () => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  return main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
    exit(err instanceof ConfigError ? 2 : 1);
  });
}
