import type { Stores } from '../contracts.js';
import { Lifecycle } from '../shared/lifecycle.js';
import { MemoryFastTokenStore } from '../fast/memory.js';
import { MemoryInvitationStore } from '../invitations/memory.js';
import { MemoryAccountStore } from './account-store.js';
import { MemoryArchiveStore } from './archive-store.js';
import { MemoryBlocklistStore } from './blocklist-store.js';
import { MemoryLastActivityStore } from './last-activity-store.js';
import { MemoryOfflineStore } from './offline-store.js';
import { MemoryPrivateStore } from './private-store.js';
import { MemoryPushDeviceStore, MemoryPushRegistrationStore } from './push-store.js';
import { MemoryPubsubStore } from './pubsub-store.js';
import { MemoryRoomStore } from './room-store.js';
import { MemoryRosterStore } from './roster-store.js';
import { MemoryVcardStore } from './vcard-store.js';

/**
 * Process-local stores for tests and single-node development. Nothing
 * survives `close()` or the process; every call to this function starts empty.
 */
export function openMemoryStores(): Stores {
  const life = new Lifecycle();
  return {
    accounts: new MemoryAccountStore(life),
    fastTokens: new MemoryFastTokenStore(life),
    invitations: new MemoryInvitationStore(life),
    rosters: new MemoryRosterStore(life),
    offline: new MemoryOfflineStore(life),
    lastActivity: new MemoryLastActivityStore(life),
    blocklists: new MemoryBlocklistStore(life),
    archive: new MemoryArchiveStore(life),
    rooms: new MemoryRoomStore(life),
    pubsub: new MemoryPubsubStore(life),
    vcards: new MemoryVcardStore(life),
    privateXml: new MemoryPrivateStore(life),
    pushRegistrations: new MemoryPushRegistrationStore(life),
    pushDevices: new MemoryPushDeviceStore(life),
    async close() {
      life.markClosed();
    },
  };
}
