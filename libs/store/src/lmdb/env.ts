import { open } from 'lmdb';
import type { Database, Key, RootDatabase } from 'lmdb';
import type { Account, LastActivity, RosterItem } from '../contracts.js';
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
      root = open({ path, compression: false, maxDbs: 16 });
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
