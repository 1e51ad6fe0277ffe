import { avatarModule } from './avatar.js';
import { blockingModule } from './blocking.js';
import { bookmarksModule } from './bookmarks.js';
import { carbonsModule } from './carbons.js';
import { discoModule } from './disco.js';
import { lastActivityModule } from './last.js';
import { mamModule } from './mam.js';
import { mucServiceModule } from './muc-service.js';
import { pepModule } from './pep.js';
import { pingModule } from './ping.js';
import { privateModule } from './private.js';
import { pubsubServiceModule } from './pubsub-service.js';
import { registerFeatureModule } from './register-feature.js';
import { timeModule } from './time.js';
import type { ServerModule } from './types.js';
import { vcardModule } from './vcard.js';
import { versionModule } from './version.js';

/**
 * Every module of the session registry. The order here does not matter:
 * each module declares what it requires and at which priority its hooks
 * run (blocking filters at `access`, archiving at `stamp`, so carbon
 * copies carry the archive's stanza-id).
 */
export const builtinModules: readonly ServerModule[] = [
  discoModule,
  mucServiceModule,
  pingModule,
  versionModule,
  lastActivityModule,
  timeModule,
  registerFeatureModule,
  blockingModule,
  mamModule,
  carbonsModule,
  // PEP (XEP-0163) and what is built on it; the pubsub.<domain> service.
  pepModule,
  avatarModule,
  vcardModule,
  privateModule,
  bookmarksModule,
  pubsubServiceModule,
];

export type {
  ServerModule,
  ModuleContext,
  IqHandler,
  IqRequest,
  Identity,
  XepDeclaration,
  DiscoItem,
  ServiceHandler,
  ServiceStanza,
} from './types.js';
