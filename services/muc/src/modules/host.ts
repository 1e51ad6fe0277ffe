import { disabledModulesOf } from '@parley/config';
import type { Config } from '@parley/config';
import { HandlerTable, ModuleError, ServiceRegistry, startModules } from '@parley/modules';
import type { StartedModules } from '@parley/modules';
import type { MucContext } from '../muc-context.js';
import type { Room } from '../room.js';
import type {
  MucIqHandler,
  MucModule,
  MucModuleContext,
  RoomFeatures,
  RoomIqRequest,
  SelfIqRequest,
  ServiceIqRequest,
} from './types.js';

/** The key of an IQ handler: type and payload namespace. */
export function iqKey(type: string, ns: string | undefined): string {
  return `${type} ${ns ?? ''}`;
}

/** The module the MUC service cannot run without: it is the service's own room semantics. */
const CORE_MODULE = 'muc-core';

/**
 * What the MUC service's modules registered: one IQ handler per type and
 * namespace for rooms, the service and self-addressed IQs, and the disco
 * features of rooms and of the service. Built once at start; the IQ
 * dispatch reads it.
 */
export class MucModules {
  readonly roomIqs = new HandlerTable<MucIqHandler<RoomIqRequest>>('room IQ');
  readonly serviceIqs = new HandlerTable<MucIqHandler<ServiceIqRequest>>('service IQ');
  readonly selfIqs = new HandlerTable<MucIqHandler<SelfIqRequest>>('self IQ');
  private readonly roomFeatureSources: RoomFeatures[] = [];
  private readonly serviceFeatureList: string[] = [];
  private readonly services = new ServiceRegistry();
  private readonly started: StartedModules<MucModuleContext, Config>;

  /**
   * Starts `modules` (without those `modules.disabled` switches off) on
   * `core`. Throws a ModuleError naming the modules for a duplicate
   * handler, a missing or disabled dependency, an unknown `muc-…` name in
   * `modules.disabled`, or an attempt to disable `muc-core`.
   */
  constructor(
    private readonly core: MucContext,
    modules: readonly MucModule[],
  ) {
    const disabled = disabledModulesOf(core.config, 'muc');
    if (disabled.includes(CORE_MODULE) && modules.some((m) => m.name === CORE_MODULE)) {
      throw new ModuleError(
        'missing-dependency',
        `the MUC service requires module '${CORE_MODULE}', which cannot be disabled (switch the service off with muc.enabled)`,
      );
    }
    this.started = startModules({
      modules,
      config: core.config,
      disabled,
      contextFor: (m) => this.contextFor(m.name),
    });
  }

  /** The modules started, in start order. */
  get modules(): readonly MucModule[] {
    return this.started.modules;
  }

  /** Runs what the modules returned from `register`, in reverse start order. */
  stop(): Promise<void> {
    return this.started.stop();
  }

  roomFeatures(room: Room): string[] {
    return [...new Set(this.roomFeatureSources.flatMap((f) => f(room)))];
  }

  serviceFeatures(): string[] {
    return [...new Set(this.serviceFeatureList)];
  }

  private contextFor(module: string): MucModuleContext {
    return {
      module,
      config: this.core.config,
      core: this.core,
      roomIq: (type, ns, h) => this.roomIqs.register(iqKey(type, ns), h, module),
      serviceIq: (type, ns, h) => this.serviceIqs.register(iqKey(type, ns), h, module),
      selfIq: (type, ns, h) => this.selfIqs.register(iqKey(type, ns), h, module),
      roomFeature: (f) => {
        if (typeof f !== 'string') this.roomFeatureSources.push(f);
        else {
          const fixed = [f];
          this.roomFeatureSources.push(() => fixed);
        }
      },
      serviceFeature: (f) => void this.serviceFeatureList.push(f),
      roomFeatures: (room) => this.roomFeatures(room),
      serviceFeatures: () => this.serviceFeatures(),
      provide: (key, value) => this.services.provide(key, value, module),
      use: (key) => this.services.use(key, module),
      tryUse: (key) => (this.services.has(key) ? this.services.use(key, module) : undefined),
    };
  }
}
