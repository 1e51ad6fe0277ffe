import type { Stores } from '../contracts.js';
import { Lifecycle } from '../shared/lifecycle.js';
import { MemoryAccountStore } from './account-store.js';
import { MemoryBlocklistStore } from './blocklist-store.js';
import { MemoryLastActivityStore } from './last-activity-store.js';
import { MemoryOfflineStore } from './offline-store.js';
import { MemoryRosterStore } from './roster-store.js';

/**
 * Process-local stores for tests and single-node development. Nothing
 * survives `close()` or the process; every call to this function starts empty.
 */
export function openMemoryStores(): Stores {
  const life = new Lifecycle();
  return {
    accounts: new MemoryAccountStore(life),
    rosters: new MemoryRosterStore(life),
    offline: new MemoryOfflineStore(life),
    lastActivity: new MemoryLastActivityStore(life),
    blocklists: new MemoryBlocklistStore(life),
    async close() {
      life.markClosed();
    },
  };
}
