import type { Logger } from './logger.js';

/**
 * Runs `drain` once on SIGTERM or SIGINT, then exits 0 (1 if draining
 * failed or took longer than `timeoutMs`).
 */
export function onShutdownSignal(
  logger: Logger,
  drain: () => Promise<void>,
  timeoutMs = 30_000,
): void {
  let started = false;
  const run = (signal: string) => {
    if (started) return;
    started = true;
    logger.info('draining', { signal });
    const timer = setTimeout(() => {
      logger.error('drain timed out', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    drain().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('drain failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => run('SIGTERM'));
  process.on('SIGINT', () => run('SIGINT'));
}
