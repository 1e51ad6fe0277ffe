export type {
  Account,
  AccountStore,
  LastActivity,
  LastActivityStore,
  ListPage,
  OfflineMessage,
  OfflineStore,
  Roster,
  RosterItem,
  RosterStore,
  ScramCredential,
  StoredCredentials,
  Stores,
  Subscription,
} from './contracts.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { openMemoryStores } from './memory/open.js';
export { openLmdbStores } from './lmdb/open.js';
