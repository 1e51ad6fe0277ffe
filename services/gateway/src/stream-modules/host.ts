import type { Config } from '@parley/config';
import { HandlerTable, startModules } from '@parley/modules';
import type { StartedModules } from '@parley/modules';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import type {
  FeatureContribution,
  FeatureState,
  NonzaHandler,
  NonzaState,
  PreAuthIqHandler,
  StreamModule,
  StreamModuleContext,
} from './types.js';

/** What the gateway's modules contributed to stream negotiation. */
export interface StreamExtensions {
  readonly modules: readonly StreamModule[];
  /** The features of `state` that apply to `conn`, in module start order. */
  features(state: FeatureState, conn: Connection): Element[];
  /** `<stream:features/>` of `state` for `conn`, serialized (built once when no feature depends on the connection). */
  featuresXml(state: FeatureState, conn: Connection): string;
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
  const contributed: Record<FeatureState, FeatureContribution[]> = {
    negotiating: [],
    authenticated: [],
    bound: [],
  };
  const nonzas = new HandlerTable<NonzaHandler>('top-level element');
  const iqs = new HandlerTable<PreAuthIqHandler>('pre-authentication IQ');
  const contextFor = (module: string): StreamModuleContext => ({
    module,
    config,
    feature: (state, feature) => void contributed[state].push(feature),
    nonza: (state, ns, handler) => nonzas.register(`${state} ${ns}`, handler, module),
    preAuthIq: (ns, handler) => iqs.register(ns, handler, module),
  });
  const started: StartedModules<StreamModuleContext, Config> = startModules({
    modules,
    config,
    contextFor: (m) => contextFor(m.name),
  });
  const features = (state: FeatureState, conn: Connection): Element[] => {
    const out: Element[] = [];
    for (const f of contributed[state]) {
      if (typeof f !== 'function') out.push(f);
      else {
        const built = f(conn);
        if (built === undefined) continue;
        if (Array.isArray(built)) out.push(...(built as readonly Element[]));
        else out.push(built as Element);
      }
    }
    return out;
  };
  const serialize = (els: readonly Element[]): string =>
    xml('stream:features', null, ...els).toString();
  // A state whose features are all fixed is serialized once.
  const fixed = new Map<FeatureState, string>();
  for (const state of ['negotiating', 'authenticated', 'bound'] as const) {
    const list = contributed[state];
    if (list.every((f) => typeof f !== 'function')) {
      fixed.set(state, serialize(list as Element[]));
    }
  }
  return {
    modules: started.modules,
    features,
    featuresXml: (state, conn) => fixed.get(state) ?? serialize(features(state, conn)),
    nonza: (state, ns) => nonzas.get(`${state} ${ns}`),
    preAuthIq: (ns) => iqs.get(ns),
    stop: () => started.stop(),
  };
}
