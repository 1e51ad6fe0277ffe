/** A specification a module implements, for the generated list of supported XEPs. */
export interface XepDeclaration {
  /** XEP number ('0045') or RFC name ('RFC 6121'). */
  xep: string;
  title: string;
  /** Version of the specification implemented. */
  version: string;
  note?: string;
}

/** Undoes what a module's start did (timers, subscriptions, buffered writes). */
export type Stop = () => void | Promise<void>;

/**
 * A server feature: one module, one entry point (`register`), reaching the
 * server only through the context it is given. `Ctx` is the host's module
 * API (the session registry's, the MUC service's); `Cfg` the configuration
 * the host passes to `enabled`.
 */
export interface ModuleDefinition<Ctx, Cfg = unknown> {
  /** Unique within a host; what `requires`, `after` and the disabled list name. */
  readonly name: string;
  /** The specifications this module implements. */
  readonly xeps: readonly XepDeclaration[];
  /**
   * Modules that must be enabled and registered before this one (their
   * services are used in `register`). A missing or disabled one stops the
   * start with an error naming both.
   */
  readonly requires?: readonly string[];
  /** Modules registered before this one when they are enabled (ordering only). */
  readonly after?: readonly string[];
  /**
   * The configuration sections that configure this module (dotted key
   * prefixes such as `mam` or `modules.version`); listed with the module in
   * the generated docs, and checked against the configuration schema.
   */
  readonly configSections?: readonly string[];
  /** Whether the configuration turns the module on (default: on). */
  enabled?(config: Cfg): boolean;
  /**
   * Registers the module's handlers, hooks, features and services
   * (synchronously: a host starts its modules before it consumes anything).
   * May return what undoes it, run when the host stops, in reverse order.
   */
  register(ctx: Ctx): void | Stop;
}
