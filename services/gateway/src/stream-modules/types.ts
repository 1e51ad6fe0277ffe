/**
 * The module contract of the gateway (see @parley/modules): stream
 * features and the top-level elements ("nonzas") that go with them are
 * contributed by modules, so adding a stream-level extension (XEP-0198,
 * XEP-0352, later SASL2 and Bind2) means adding a module, not editing the
 * negotiation code.
 */
import type { Config } from '@parley/config';
import type { ModuleDefinition } from '@parley/modules';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';

/** Connection states in which a module may handle top-level elements. */
export type NonzaState = 'authenticated' | 'bound';

/** Handles one top-level element of the module's namespace. */
export type NonzaHandler = (conn: Connection, el: Element) => void | Promise<void>;

/** Handles an IQ addressed to the server before authentication (e.g. XEP-0077 registration). */
export type PreAuthIqHandler = (conn: Connection, iq: Element) => void | Promise<void>;

export interface StreamModuleContext {
  /** The module this context belongs to. */
  readonly module: string;
  readonly config: Config;
  /**
   * A feature offered after authentication, next to resource binding.
   * These never change for a gateway, so they are built once.
   */
  postAuthFeature(feature: Element): void;
  /** A feature offered before authentication; `build` returns nothing when it does not apply to `conn`. */
  preAuthFeature(build: (conn: Connection) => Element | undefined): void;
  /**
   * Handles the top-level elements in namespace `ns` while a connection is
   * in `state`. One handler per state and namespace: a second one stops the
   * start (ModuleError 'duplicate-handler').
   */
  nonza(state: NonzaState, ns: string, handler: NonzaHandler): void;
  /** Handles IQs whose payload is in `ns`, addressed to the server before authentication (one per namespace). */
  preAuthIq(ns: string, handler: PreAuthIqHandler): void;
}

/** A stream-level extension of the gateway. */
export type StreamModule = ModuleDefinition<StreamModuleContext, Config>;
