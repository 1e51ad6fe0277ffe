/**
 * The module contract of Parley's services: a server feature is a module
 * with declared dependencies, hook priorities and services, started and
 * stopped by its host (the session registry, the MUC service).
 */
export type { ModuleDefinition, Stop, XepDeclaration } from './definition.js';
export { ModuleError } from './errors.js';
export type { ModuleErrorCode } from './errors.js';
export { HandlerTable } from './handlers.js';
export { HookList, Priority } from './hook-list.js';
export { startModules } from './host.js';
export type { StartModulesOptions, StartedModules } from './host.js';
export { orderModules } from './order.js';
export { ServiceKey, ServiceRegistry } from './services.js';
