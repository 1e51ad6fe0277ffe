/**
 * The module contract of the gateway (see @parley/modules): stream
 * features and the top-level elements ("nonzas") that go with them are
 * contributed by modules, so adding a stream-level extension (STARTTLS,
 * SASL, SASL2, Bind2, XEP-0198, XEP-0352) means adding a module, not
 * editing the negotiation code.
 */
import type { Config } from '@parley/config';
import type { ModuleDefinition } from '@parley/modules';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';

/** Connection states in which a module may handle top-level elements. */
export type NonzaState = 'negotiating' | 'authenticated' | 'bound';

/**
 * The states whose stream features modules contribute: `negotiating` (the
 * features before authentication, with or without TLS), `authenticated`
 * (after a SASL success and stream restart, or a SASL2 success without
 * Bind2) and `bound` (after a SASL2 success that bound a resource or
 * resumed a session: XEP-0388 sends features without a restart).
 */
export type FeatureState = 'negotiating' | 'authenticated' | 'bound';

/** Handles one top-level element of the module's namespace. */
export type NonzaHandler = (conn: Connection, el: Element) => void | Promise<void>;

/** Handles an IQ addressed to the server before authentication (e.g. XEP-0077 registration). */
export type PreAuthIqHandler = (conn: Connection, iq: Element) => void | Promise<void>;

/**
 * A stream feature: a fixed element (the same for every connection, built
 * once), or a function of the connection returning its element(s), or
 * nothing when the feature does not apply to it.
 */
export type FeatureContribution =
  Element | ((conn: Connection) => Element | readonly Element[] | undefined);

export interface StreamModuleContext {
  /** The module this context belongs to. */
  readonly module: string;
  readonly config: Config;
  /**
   * A feature offered in `state`. Features are listed in module start
   * order, then in the order one module contributed them.
   */
  feature(state: FeatureState, feature: FeatureContribution): void;
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
