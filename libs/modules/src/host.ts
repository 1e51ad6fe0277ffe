import type { ModuleDefinition, Stop } from './definition.js';
import { ModuleError } from './errors.js';
import { orderModules } from './order.js';

export interface StartModulesOptions<Ctx, Cfg> {
  /** Every module the host knows. */
  modules: readonly ModuleDefinition<Ctx, Cfg>[];
  /** Passed to each module's `enabled`. */
  config: Cfg;
  /** Names switched off by configuration; an unknown name is an error. */
  disabled?: readonly string[];
  /** The context one module registers through (the name goes into errors and hook owners). */
  contextFor(module: ModuleDefinition<Ctx, Cfg>): Ctx;
}

export interface StartedModules<Ctx, Cfg> {
  /** The modules started, in start order. */
  readonly modules: readonly ModuleDefinition<Ctx, Cfg>[];
  /** Runs what the modules returned from `register`, in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Starts a module set: drops the disabled ones, orders the rest by their
 * declared dependencies and registers each through its own context. Any
 * error (a missing dependency, a duplicate handler, a module that throws)
 * stops the start: what was registered is undone and a ModuleError naming
 * the module is thrown.
 */
export function startModules<Ctx, Cfg>(
  opts: StartModulesOptions<Ctx, Cfg>,
): StartedModules<Ctx, Cfg> {
  const known = new Set(opts.modules.map((m) => m.name));
  const off = new Set(opts.disabled ?? []);
  for (const name of off) {
    if (!known.has(name)) {
      throw new ModuleError(
        'unknown-module',
        `cannot disable module '${name}': no such module (known: ${[...known].sort().join(', ')})`,
      );
    }
  }
  const enabled = new Set(
    opts.modules
      .filter((m) => !off.has(m.name) && (m.enabled === undefined || m.enabled(opts.config)))
      .map((m) => m.name),
  );
  const ordered = orderModules(opts.modules, enabled);
  const stops: Stop[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const s of stops.splice(0).reverse()) {
      try {
        await s();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'modules failed to stop');
  };
  for (const m of ordered) {
    try {
      const stop = m.register(opts.contextFor(m));
      if (typeof stop === 'function') stops.push(stop);
    } catch (err) {
      void stopAll().catch(() => undefined);
      if (err instanceof ModuleError) throw err;
      throw new ModuleError('start-failed', `module '${m.name}' failed to start: ${String(err)}`, {
        cause: err,
      });
    }
  }
  return { modules: ordered, stop: stopAll };
}
