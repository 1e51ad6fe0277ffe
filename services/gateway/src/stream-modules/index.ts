import { capsModule } from './caps.js';
import { clientStateModule } from './client-state.js';
import { invitationsModule } from './invitations.js';
import { registrationModule } from './registration.js';
import { resourceBindingModule } from './resource-binding.js';
import { rosterFeaturesModule } from './roster-features.js';
import { saslModule } from './sasl.js';
import { sasl2Module } from './sasl2.js';
import { starttlsModule } from './starttls.js';
import { streamManagementModule } from './stream-management.js';
import type { StreamModule } from './types.js';

/** The gateway's stream modules, in the order their features are listed. */
export const builtinStreamModules: readonly StreamModule[] = [
  starttlsModule,
  saslModule,
  sasl2Module,
  resourceBindingModule,
  rosterFeaturesModule,
  streamManagementModule,
  clientStateModule,
  invitationsModule,
  registrationModule,
  capsModule,
];

export { startStreamModules } from './host.js';
export type { StreamExtensions } from './host.js';
export type {
  FeatureContribution,
  FeatureState,
  NonzaHandler,
  NonzaState,
  PreAuthIqHandler,
  StreamModule,
  StreamModuleContext,
} from './types.js';
