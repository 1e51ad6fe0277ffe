/** The LoginLimits options a process reads from its configuration. */
import type { Config } from '@parley/config';
import type { LoginLimitsOptions } from './contract.js';

export function loginLimitsOptions(config: Config): LoginLimitsOptions {
  const { c2s, registration } = config;
  return {
    windowMs: c2s.loginLimits.windowMs,
    baseDelayMs: c2s.authFailureDelayMs,
    maxDelayMs: c2s.authFailureMaxDelayMs,
    refuseAfterFailures: c2s.loginLimits.refuseAfterFailures,
    refuseForMs: c2s.loginLimits.refuseForMs,
    registration: {
      maxPerAddress: registration.maxPerAddress,
      addressWindowMs: registration.addressWindowMs,
      maxGlobal: registration.maxGlobal,
      globalWindowMs: registration.globalWindowMs,
    },
  };
}
