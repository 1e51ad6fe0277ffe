import type { Stores } from '../contracts.js';
import { LmdbAccountStore } from './account-store.js';
import { LmdbArchiveStore } from './archive-store.js';
import { LmdbBlocklistStore } from './blocklist-store.js';
import { LmdbEnv } from './env.js';
import { LmdbLastActivityStore } from './last-activity-store.js';
import { LmdbOfflineStore } from './offline-store.js';
import { LmdbPrivateStore } from './private-store.js';
import { LmdbPushDeviceStore, LmdbPushRegistrationStore } from './push-store.js';
import { LmdbFastTokenStore } from '../fast/lmdb.js';
import { LmdbInvitationStore } from '../invitations/lmdb.js';
import { LmdbPubsubStore } from './pubsub-store.js';
import { LmdbRoomStore } from './room-store.js';
import { LmdbRosterStore } from './roster-store.js';
import { LmdbVcardStore } from './vcard-store.js';

/**
 * Opens (creating if needed) the LMDB environment directory at `path` and
 * returns every store backed by it. `close()` waits for pending writes and
 * closes the environment.
 */
export async function openLmdbStores(path: string): Promise<Stores> {
  const env = LmdbEnv.open(path);
  return {
    accounts: new LmdbAccountStore(env),
    rosters: new LmdbRosterStore(env),
    offline: new LmdbOfflineStore(env),
    lastActivity: new LmdbLastActivityStore(env),
    blocklists: new LmdbBlocklistStore(env),
    archive: new LmdbArchiveStore(env),
    rooms: new LmdbRoomStore(env),
    pubsub: new LmdbPubsubStore(env),
    vcards: new LmdbVcardStore(env),
    privateXml: new LmdbPrivateStore(env),
    pushRegistrations: new LmdbPushRegistrationStore(env),
    pushDevices: new LmdbPushDeviceStore(env),
    fastTokens: new LmdbFastTokenStore(env),
    invitations: new LmdbInvitationStore(env),
    close: () => env.close(),
  };
}
