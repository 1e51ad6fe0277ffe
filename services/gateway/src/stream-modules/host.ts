import type { Config } from '@parley/config';
import { HandlerTable, startModules } from '@parley/modules';
import type { StartedModules } from '@parley/modules';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import type {
  NonzaHandler,
  NonzaState,
  PreAuthIqHandler,
  StreamModule,
  StreamModuleContext,
} from './types.js';

/** What the gateway's modules contributed to stream negotiation. */
export interface StreamExtensions {
  readonly modules: readonly StreamModule[];
  /** Features after authentication, in module start order. */
  readonly postAuth: readonly Element[];
  /** Features before authentication that apply to `conn`. */
  preAuth(conn: Connection): Element[];
  nonza(state: NonzaState, ns: string): NonzaHandler | undefined;
  preAuthIq(ns: string): PreAuthIqHandler | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the gateway's stream modules (dependencies, duplicates and start
 * errors as @parley/modules defines them). Stream modules are switched on
 * and off by their own configuration (`sm.enabled`, `csi.enabled`, ...).
 */
export function startStreamModules(
  config: Config,
  modules: readonly StreamModule[],
): StreamExtensions {
  const postAuth: Element[] = [];
  const preAuth: Array<(conn: Connection) => Element | undefined> = [];
  const nonzas = new HandlerTable<NonzaHandler>('top-level element');
  const iqs = new HandlerTable<PreAuthIqHandler>('pre-authentication IQ');
  const contextFor = (module: string): StreamModuleContext => ({
    module,
    config,
    postAuthFeature: (feature) => void postAuth.push(feature),
    preAuthFeature: (build) => void preAuth.push(build),
    nonza: (state, ns, handler) => nonzas.register(`${state} ${ns}`, handler, module),
    preAuthIq: (ns, handler) => iqs.register(ns, handler, module),
  });
  const started: StartedModules<StreamModuleContext, Config> = startModules({
    modules,
    config,
    contextFor: (m) => contextFor(m.name),
  });
  return {
    modules: started.modules,
    postAuth,
    preAuth: (conn) => preAuth.map((build) => build(conn)).filter((f) => f !== undefined),
    nonza: (state, ns) => nonzas.get(`${state} ${ns}`),
    preAuthIq: (ns) => iqs.get(ns),
    stop: () => started.stop(),
  };
}
