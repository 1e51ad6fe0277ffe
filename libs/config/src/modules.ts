import type { Config } from './types.js';

/**
 * The processes that host modules and read `modules.disabled`. In a
 * cluster they run apart and neither knows the other's modules, so the
 * name itself says whose it is.
 */
export type ModuleHost = 'session-registry' | 'muc';

/** Every module of the MUC service is named `muc-…`; no module of the session registry is. */
export const MUC_MODULE_PREFIX = 'muc-';

/** The host a module name of `modules.disabled` belongs to. */
export function moduleHostOf(name: string): ModuleHost {
  return name.startsWith(MUC_MODULE_PREFIX) ? 'muc' : 'session-registry';
}

/**
 * The names in `modules.disabled` that `host` acts on: it switches them
 * off, and refuses those it does not know. Every name belongs to exactly
 * one host, so every name is checked once, in every deployment.
 */
export function disabledModulesOf(config: Config, host: ModuleHost): string[] {
  return config.modules.disabled.filter((name) => moduleHostOf(name) === host);
}
