import { clientStateModule } from './client-state.js';
import { registrationModule } from './registration.js';
import { rosterFeaturesModule } from './roster-features.js';
import { streamManagementModule } from './stream-management.js';
import type { StreamModule } from './types.js';

/** The gateway's stream modules, in the order their features are listed. */
export const builtinStreamModules: readonly StreamModule[] = [
  rosterFeaturesModule,
  streamManagementModule,
  clientStateModule,
  registrationModule,
];

export { startStreamModules } from './host.js';
export type { StreamExtensions } from './host.js';
export type {
  NonzaHandler,
  NonzaState,
  PreAuthIqHandler,
  StreamModule,
  StreamModuleContext,
} from './types.js';
