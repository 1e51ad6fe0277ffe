import { ModuleError } from './errors.js';

/**
 * The typed name of state one module shares with others (e.g. the PEP
 * engine that avatar conversion and bookmarks build on). The provider
 * registers the value; users look it up by the same key.
 */
export class ServiceKey<T> {
  /** Carries T for type inference only. */
  declare readonly type: T;
  constructor(readonly name: string) {}
}

/** The services modules of one host provide to each other. */
export class ServiceRegistry {
  private readonly entries = new Map<ServiceKey<unknown>, { value: unknown; by: string }>();

  /** Registers `value` under `key` for the modules started after `by`. */
  provide<T>(key: ServiceKey<T>, value: T, by: string): void {
    const prev = this.entries.get(key as ServiceKey<unknown>);
    if (prev !== undefined) {
      throw new ModuleError(
        'duplicate-service',
        `module '${by}' provides service '${key.name}', already provided by module '${prev.by}'`,
      );
    }
    this.entries.set(key as ServiceKey<unknown>, { value, by });
  }

  /**
   * The value under `key`. Throws when nobody provided it: the module
   * asking must name the provider in its `requires`.
   */
  use<T>(key: ServiceKey<T>, by: string): T {
    const e = this.entries.get(key as ServiceKey<unknown>);
    if (e === undefined) {
      throw new ModuleError(
        'missing-service',
        `module '${by}' uses service '${key.name}', which no module started before it provides (is its provider in 'requires'?)`,
      );
    }
    return e.value as T;
  }

  has(key: ServiceKey<unknown>): boolean {
    return this.entries.has(key);
  }
}
