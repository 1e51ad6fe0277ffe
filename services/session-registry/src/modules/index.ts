import { avatarModule } from './user-data/avatar.js';
import { blockingModule } from './privacy/blocking.js';
import { bookmarksModule } from './user-data/bookmarks.js';
import { carbonsModule } from './carbons/carbons.js';
import { contactAddressesModule } from './discovery/contact-addresses.js';
import { discoModule } from './discovery/disco.js';
import { extdiscoModule } from './server-info/extdisco.js';
import { inviteCommandsModule } from './invitations/invite-commands.js';
import { lastActivityModule } from './server-info/last.js';
import { mamModule } from './archive/mam.js';
import { mucServiceModule } from './discovery/conference-listing.js';
import { offlineFeatureModule } from './discovery/offline-feature.js';
import { pepModule } from './pubsub/pep.js';
import { pingModule } from './server-info/ping.js';
import { privateModule } from './user-data/private.js';
import { pubsubServiceModule } from './pubsub/pubsub-service.js';
import { uploadModule } from './upload/upload.js';
import { pushModule } from './push/push.js';
import { pushServiceModule } from './push/service.js';
import { registerFeatureModule } from './discovery/register-feature.js';
import { timeModule } from './server-info/time.js';
import type { ServerModule } from './types.js';
import { vcardModule } from './user-data/vcard.js';
import { versionModule } from './server-info/version.js';

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
  extdiscoModule,
  registerFeatureModule,
  inviteCommandsModule,
  offlineFeatureModule,
  contactAddressesModule,
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
  // XEP-0363 on upload.<domain>.
  uploadModule,
  // XEP-0357: notifications to app servers; the app server on push.<domain>.
  pushModule,
  pushServiceModule,
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
