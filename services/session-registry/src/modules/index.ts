import { blockingModule } from './blocking.js';
import { carbonsModule } from './carbons.js';
import { discoModule } from './disco.js';
import { lastActivityModule } from './last.js';
import { pingModule } from './ping.js';
import { registerFeatureModule } from './register-feature.js';
import { timeModule } from './time.js';
import type { ServerModule } from './types.js';
import { versionModule } from './version.js';

/** Every server module, in registration order. */
export const builtinModules: ServerModule[] = [
  discoModule,
  pingModule,
  versionModule,
  lastActivityModule,
  timeModule,
  registerFeatureModule,
  // Blocking filters first: a blocked stanza is refused before other modules look at it.
  blockingModule,
  carbonsModule,
];

export type {
  ServerModule,
  ModuleContext,
  IqHandler,
  IqRequest,
  Identity,
  XepDeclaration,
} from './types.js';
