import { sleep } from './util.js';

/** Upper bound of a drain, seconds. */
export const MAX_DRAIN_S = 300;

/**
 * After a measured window: waits for what is still in flight, until
 * `arrived()` reaches `due()`, or nothing more arrived for `idleS` seconds
 * (what is missing then counts as lost), or `maxS` seconds passed. Returns
 * the seconds it waited.
 */
export async function drain(
  arrived: () => number,
  due: () => number,
  idleS: number,
  maxS: number = MAX_DRAIN_S,
): Promise<number> {
  const start = performance.now();
  let lastProgress = start;
  let seen = arrived();
  while (arrived() < due()) {
    const now = performance.now();
    if (arrived() !== seen) {
      seen = arrived();
      lastProgress = now;
    }
    if (now - lastProgress > idleS * 1000 || now - start > maxS * 1000) break;
    await sleep(20);
  }
  return (performance.now() - start) / 1000;
}
