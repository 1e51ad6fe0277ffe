import { mucAdminModule } from './admin.js';
import { mucDiscoModule } from './disco.js';
import { mucMamModule } from './mam.js';
import { mucCoreModule } from './muc-core.js';
import { mucOwnerModule } from './owner.js';
import { mucPingModule } from './ping.js';
import type { MucModule } from './types.js';
import { mucVcardModule } from './vcard.js';

/**
 * Every module of the MUC service. The order here does not matter: each
 * declares what it requires. All are named `muc-…`, their names in
 * `modules.disabled`.
 */
export const mucModules: readonly MucModule[] = [
  mucCoreModule,
  mucDiscoModule,
  mucAdminModule,
  mucOwnerModule,
  mucVcardModule,
  mucMamModule,
  mucPingModule,
];

export type {
  MucIqHandler,
  MucModule,
  MucModuleContext,
  RoomFeatures,
  RoomIqRequest,
  SelfIqRequest,
  ServiceIqRequest,
  XepDeclaration,
} from './types.js';
