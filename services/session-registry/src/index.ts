export { startSessionRegistry } from './registry.js';
export type { SessionRegistry, RegistryOptions } from './registry.js';
export type { RegistryDeps } from './registry-context.js';
export { builtinModules } from './modules/index.js';
export type {
  ServerModule,
  ModuleContext,
  IqHandler,
  IqRequest,
  Identity,
  XepDeclaration,
} from './modules/index.js';
