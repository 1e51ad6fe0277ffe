import { ModuleError } from './errors.js';

/**
 * Handlers keyed by what they answer (e.g. `get urn:xmpp:ping`), one per
 * key: a second registration for a key is an error naming both modules,
 * never a silent replacement.
 */
export class HandlerTable<H> {
  private readonly entries = new Map<string, { handler: H; by: string }>();

  constructor(
    /** What the keys are, for error messages ('server IQ', 'account IQ'). */
    private readonly what: string,
  ) {}

  register(key: string, handler: H, by: string): void {
    const prev = this.entries.get(key);
    if (prev !== undefined) {
      throw new ModuleError(
        'duplicate-handler',
        `module '${by}' registers a ${this.what} handler for '${key}', already handled by module '${prev.by}'`,
      );
    }
    this.entries.set(key, { handler, by });
  }

  get(key: string): H | undefined {
    return this.entries.get(key)?.handler;
  }

  /** The module that registered the handler for `key`. */
  owner(key: string): string | undefined {
    return this.entries.get(key)?.by;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}
