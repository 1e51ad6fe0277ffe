import { open } from 'lmdb';
import type { Database, Key, RootDatabase } from 'lmdb';
import type {
  Account,
  ArchivedMessage,
  ArchivePrefs,
  LastActivity,
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubSubscription,
  RoomAffiliationItem,
  RosterItem,
  StoredRoom,
} from '../contracts.js';
import type { PushDevice, PushRegistration } from '../push-contracts.js';
import type { FastTokenRecord } from '../fast/contract.js';
import type { Invitation } from '../invitations/contract.js';
import { StoreError, toStoreError } from '../errors.js';
import { Lifecycle } from '../shared/lifecycle.js';

/** An offline message as stored: the id is the key's sequence number. */
export interface OfflineRecord {
  ts: number;
  xml: string;
}

/** Per-owner offline queue bookkeeping, updated in the same transaction as the queue. */
export interface OfflineMeta {
  /** Last sequence number handed out; never reset, so ids never repeat. */
  seq: number;
  /** Messages currently queued. */
  count: number;
  /**
   * offlineBytes of the queued messages (issue 15). Absent in metadata
   * written before the byte bound: counted from the queue at its next push.
   */
  bytes?: number;
}

/** An archived message as stored: the id is the key's second element. */
export type ArchiveRecord = Omit<ArchivedMessage, 'id'>;

/** Per-archive bookkeeping, updated in the same transaction as the messages. */
export interface ArchiveMeta {
  /** Messages in the archive. */
  count: number;
  /**
   * True once a message whose id does not encode its own time (see
   * idMatchesTime) was appended: time filters can then no longer seek by id.
   * Reset when the archive empties.
   */
  mixed: boolean;
}

/** A pubsub node with its item bookkeeping. */
export interface PubsubNodeRecord {
  node: PubsubNode;
  /** Last publish sequence number handed out in this node. */
  seq: number;
  /** Items currently stored. */
  count: number;
}

/** The named sub-databases of the one environment (see README "Key layouts"). */
export interface LmdbDatabases {
  /** jid -> Account */
  accounts: Database<Account, string>;
  /** [domain, jid] -> true: per-domain listing as a range scan */
  accountsByDomain: Database<true, Key>;
  /** ['total'] | ['domain', domain] -> number of accounts */
  accountCounts: Database<number, Key>;
  /** [owner, contact] -> RosterItem */
  rosterItems: Database<RosterItem, Key>;
  /** owner -> roster version counter */
  rosterVersions: Database<number, string>;
  /** [owner, seq] -> OfflineRecord */
  offlineMessages: Database<OfflineRecord, Key>;
  /** [ts, owner, seq] -> true: expiry as a range scan */
  offlineByTime: Database<true, Key>;
  /** owner -> OfflineMeta */
  offlineMeta: Database<OfflineMeta, string>;
  /** jid -> LastActivity */
  lastActivity: Database<LastActivity, string>;
  /** [owner, blocked jid] -> true */
  blocklistItems: Database<true, Key>;
  /** [archive, id] -> ArchiveRecord */
  archiveMessages: Database<ArchiveRecord, Key>;
  /** [ts, archive, id] -> true: expiry as a range scan */
  archiveByTime: Database<true, Key>;
  /** archive -> ArchiveMeta */
  archiveMeta: Database<ArchiveMeta, string>;
  /** archive -> ArchivePrefs */
  archivePrefs: Database<ArchivePrefs, string>;
  /** room jid -> StoredRoom */
  rooms: Database<StoredRoom, string>;
  /** [domain, room jid] -> true */
  roomsByDomain: Database<true, Key>;
  /** [room, jid] -> RoomAffiliationItem */
  roomAffiliations: Database<RoomAffiliationItem, Key>;
  /** [service, node] -> PubsubNodeRecord */
  pubsubNodes: Database<PubsubNodeRecord, Key>;
  /** [service, node, seq] -> PubsubItem, in publication order */
  pubsubItems: Database<PubsubItem, Key>;
  /** [service, node, item id] -> seq */
  pubsubItemIds: Database<number, Key>;
  /** [service, node, jid, subid] -> PubsubSubscription */
  pubsubSubscriptions: Database<PubsubSubscription, Key>;
  /** [service, jid, node, subid] -> true: subscriptionsOf as a range scan */
  pubsubSubscriptionsByJid: Database<true, Key>;
  /** [service, node, jid] -> PubsubAffiliation */
  pubsubAffiliations: Database<PubsubAffiliation, Key>;
  /** jid -> serialized vCard */
  vcards: Database<string, string>;
  /** [owner, namespace, name] -> serialized element */
  privateXml: Database<string, Key>;
  /** [owner, jid, node] -> PushRegistration (XEP-0357) */
  pushRegistrations: Database<PushRegistration, Key>;
  /** [service, node] -> PushDevice (the built-in push service) */
  pushDevices: Database<PushDevice, Key>;
  /** [owner, service, node] -> true */
  pushDevicesByOwner: Database<true, Key>;
  /** [jid, agent] -> FastTokenRecord (XEP-0484) */
  fastTokens: Database<FastTokenRecord, Key>;
  /** token -> Invitation (XEP-0401) */
  invitations: Database<Invitation, string>;
  /** [domain, username] -> token: the account names invitations reserve */
  invitationNames: Database<string, Key>;
}

const NAMES: Record<keyof LmdbDatabases, string> = {
  accounts: 'accounts',
  accountsByDomain: 'accounts-by-domain',
  accountCounts: 'account-counts',
  rosterItems: 'roster-items',
  rosterVersions: 'roster-versions',
  offlineMessages: 'offline-messages',
  offlineByTime: 'offline-by-time',
  offlineMeta: 'offline-meta',
  lastActivity: 'last-activity',
  blocklistItems: 'blocklist-items',
  archiveMessages: 'archive-messages',
  archiveByTime: 'archive-by-time',
  archiveMeta: 'archive-meta',
  archivePrefs: 'archive-prefs',
  rooms: 'rooms',
  roomsByDomain: 'rooms-by-domain',
  roomAffiliations: 'room-affiliations',
  pubsubNodes: 'pubsub-nodes',
  pubsubItems: 'pubsub-items',
  pubsubItemIds: 'pubsub-item-ids',
  pubsubSubscriptions: 'pubsub-subscriptions',
  pubsubSubscriptionsByJid: 'pubsub-subscriptions-by-jid',
  pubsubAffiliations: 'pubsub-affiliations',
  vcards: 'vcards',
  privateXml: 'private-xml',
  pushRegistrations: 'push-registrations',
  pushDevices: 'push-devices',
  pushDevicesByOwner: 'push-devices-by-owner',
  fastTokens: 'fast-tokens',
  invitations: 'invitations',
  invitationNames: 'invitation-names',
};

/**
 * One LMDB environment and its sub-databases. Every write goes through
 * `write()`, which runs the callback as a child transaction of lmdb's next
 * batched write transaction: the callback's reads and writes are atomic and
 * isolated (callbacks run one after another), a throw rolls back only that
 * callback, and the promise resolves once the batch is committed and flushed.
 */
export class LmdbEnv {
  private readonly life = new Lifecycle();

  private constructor(
    private readonly root: RootDatabase,
    readonly dbs: LmdbDatabases,
  ) {}

  static open(path: string): LmdbEnv {
    let root: RootDatabase | undefined;
    try {
      root = open({ path, compression: false, maxDbs: 64 });
      const opened = root;
      const dbs = Object.fromEntries(
        Object.entries(NAMES).map(([field, name]) => [field, opened.openDB({ name })]),
      ) as unknown as LmdbDatabases;
      return new LmdbEnv(root, dbs);
    } catch (err) {
      void root?.close();
      throw new StoreError('backend', `cannot open LMDB environment at ${path}`, { cause: err });
    }
  }

  /** Runs `fn` atomically in a write transaction; resolves once it is durable. */
  async write<T>(operation: string, fn: () => T): Promise<T> {
    this.life.assertOpen();
    try {
      return await this.root.childTransaction(fn);
    } catch (err) {
      throw toStoreError(err, operation);
    }
  }

  /** Runs synchronous reads against one consistent snapshot. */
  async read<T>(operation: string, fn: (snapshot: { transaction: ReadTxn }) => T): Promise<T> {
    this.life.assertOpen();
    let transaction: ReadTxn | undefined;
    try {
      transaction = this.root.useReadTransaction();
      return fn({ transaction });
    } catch (err) {
      throw toStoreError(err, operation);
    } finally {
      transaction?.done();
    }
  }

  async close(): Promise<void> {
    if (this.life.closed) return;
    this.life.markClosed();
    try {
      await this.root.close();
    } catch (err) {
      throw toStoreError(err, 'close');
    }
  }
}

export type ReadTxn = ReturnType<RootDatabase['useReadTransaction']>;
