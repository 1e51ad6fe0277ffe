export type {
  Account,
  AccountStore,
  ArchivedMessage,
  ArchivePage,
  ArchivePrefs,
  ArchiveQuery,
  ArchiveStore,
  PrivateStore,
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
  RoomAffiliation,
  RoomAffiliationItem,
  RoomConfigValue,
  RoomStore,
  StoredRoom,
  VcardStore,
  BlocklistStore,
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
export { PUBSUB_AFFILIATIONS } from './contracts.js';
export type {
  PushDevice,
  PushDeviceStore,
  PushRegistration,
  PushRegistrationStore,
} from './push-contracts.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { openMemoryStores } from './memory/open.js';
export { openLmdbStores } from './lmdb/open.js';
export { openStores } from './open-stores.js';
export { openCassandraStores } from './cassandra/open.js';
export type {
  CassandraConnectionOptions,
  CassandraConsistency,
  CassandraSerialConsistency,
  CassandraStoreOptions,
} from './cassandra/options.js';
export {
  defaultMigrationsDir,
  dropCassandraKeyspace,
  loadMigrations,
  migrateCassandra,
} from './cassandra/migrate.js';
export type {
  CassandraReplication,
  MigrateOptions,
  MigrateResult,
  Migration,
} from './cassandra/migrate.js';
export type {
  ClaimRequest,
  NewResumption,
  OutboundEntry,
  ResumptionState,
  ResumptionStore,
} from './resumption.js';
export { ACKED_DID_MAX, ACKED_DID_RETAIN_MS } from './resumption.js';
export { MemoryResumptionStore } from './memory/resumption-store.js';
export type { MemoryResumptionStoreOptions } from './memory/resumption-store.js';
export { RedisResumptionStore } from './redis/resumption-store.js';
export type { RedisResumptionStoreOptions } from './redis/resumption-store.js';
export { newArchiveId, archiveIdBounds, archiveIdTime } from './shared/archive-id.js';
export { instrumentStore, instrumentStores } from './instrument.js';
export type { StoreObserver } from './instrument.js';
export { openPostgresStores, POSTGRES_SCHEMA_VERSION } from './postgres/open.js';
export type {
  PostgresConnectionOptions,
  PostgresSslMode,
  PostgresStoreOptions,
} from './postgres/options.js';
export {
  defaultPgMigrationsDir,
  dropPostgresSchema,
  loadPgMigrations,
  migratePostgres,
} from './postgres/migrate.js';
export type {
  PostgresMigrateOptions,
  PostgresMigrateResult,
  PostgresMigration,
} from './postgres/migrate.js';
export type { Invitation, InvitationStore } from './invitations/contract.js';
export { MemoryInvitationStore } from './invitations/memory.js';
