/** The LoginLimits contract on the in-process implementation, and its bounds. */
import { describe, expect, it } from 'vitest';
import { MemoryLoginLimits } from '../../src/index.js';
import { OPTIONS, loginLimitsContract } from './contract.js';

describe('MemoryLoginLimits', () => {
  loginLimitsContract(async (opts) => new MemoryLoginLimits({ ...OPTIONS, ...opts }));

  it('keeps at most maxEntries addresses per map, dropping the least recently used', async () => {
    const l = new MemoryLoginLimits({ ...OPTIONS, maxEntries: 3 });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']) {
      await l.recordFailure(ip);
    }
    expect((await l.address('192.0.2.1')).failures).toBe(0);
    expect((await l.address('192.0.2.4')).failures).toBe(1);
  });

  it('follows the clock it is given', async () => {
    let now = 1_000_000;
    const l = new MemoryLoginLimits({ ...OPTIONS, refuseAfterFailures: 1, now: () => now });
    const r = await l.recordFailure('192.0.2.5');
    expect(r.refusedUntil).toBe(now + OPTIONS.refuseForMs);
    now += OPTIONS.refuseForMs;
    expect((await l.address('192.0.2.5')).refusedUntil).toBeUndefined();
  });
});
