/**
 * Storage contracts. One interface per kind of data; every backend
 * (memory, LMDB; Redis and Cassandra later) implements the same contract and
 * passes the same contract suite (see ./contract-suite.ts).
 *
 * Keys: accounts, rosters, offline queues, last activity and blocklists are
 * keyed by the user's normalized bare JID string ("alice@example.org").
 */

/** SCRAM salted credentials for one hash (RFC 5802). Binary values are base64. */
export interface ScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export interface StoredCredentials {
  'SCRAM-SHA-1': ScramCredential;
  'SCRAM-SHA-256': ScramCredential;
}

export interface Account {
  jid: string;
  credentials: StoredCredentials;
  createdAt: number;
  /** Banned accounts cannot log in. */
  banned?: boolean;
}

export interface ListPage<T> {
  items: T[];
  /** Pass as `after` to get the next page; absent on the last page. */
  next?: string;
}

export interface AccountStore {
  /** Creates an account; returns false (and changes nothing) when it exists. */
  create(account: Account): Promise<boolean>;
  get(jid: string): Promise<Account | undefined>;
  /** Replaces the whole account record; returns false when it does not exist. */
  update(account: Account): Promise<boolean>;
  /** Returns false when it did not exist. */
  delete(jid: string): Promise<boolean>;
  /** Accounts ordered by jid, strictly after `after`, optionally only for one domain. */
  list(opts?: { after?: string; limit?: number; domain?: string }): Promise<ListPage<Account>>;
  count(domain?: string): Promise<number>;
  /** Bulk import; existing accounts are left untouched. Returns how many were created. */
  createMany(accounts: Account[]): Promise<number>;
}

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  /** Contact bare JID. */
  jid: string;
  name?: string;
  subscription: Subscription;
  /** Outbound request sent, not yet answered ("pending out"). */
  ask?: 'subscribe';
  /** Inbound request received, not yet answered ("pending in"). */
  pendingIn?: boolean;
  /** The inbound `subscribe` stanza kept for redelivery at next login. */
  pendingInStanza?: string;
  /** Pre-approved inbound subscription (RFC 6121 3.4). */
  approved?: boolean;
  groups: string[];
  /**
   * False when the item exists only to hold server-side state (e.g. a
   * pending-in request) and is not part of the user's roster as seen by clients.
   */
  listed: boolean;
}

export interface Roster {
  /** Opaque version string (XEP-0237); changes on every modification. */
  version: string;
  items: RosterItem[];
}

export interface RosterStore {
  get(owner: string): Promise<Roster>;
  getItem(owner: string, contact: string): Promise<RosterItem | undefined>;
  /** Inserts or replaces an item; returns the new roster version. */
  setItem(owner: string, item: RosterItem): Promise<string>;
  /** Removes an item if present; returns the (possibly unchanged) roster version. */
  removeItem(owner: string, contact: string): Promise<string>;
  /** Removes the whole roster (account deletion). */
  deleteAll(owner: string): Promise<void>;
}

export interface OfflineMessage {
  /** Store-assigned id, monotonically increasing per owner. */
  id: string;
  /** Time stored, ms since epoch. */
  ts: number;
  /** The serialized stanza, already carrying its <delay/>. */
  xml: string;
}

export interface OfflineStore {
  /**
   * Appends a message unless the owner's queue already holds `cap` messages.
   * Returns the stored message, or undefined when the queue is full.
   */
  push(owner: string, xml: string, ts: number, cap: number): Promise<OfflineMessage | undefined>;
  /** Messages in arrival order. */
  list(owner: string, limit?: number): Promise<OfflineMessage[]>;
  count(owner: string): Promise<number>;
  /** Deletes the given ids; returns how many were deleted. */
  remove(owner: string, ids: string[]): Promise<number>;
  deleteAll(owner: string): Promise<number>;
  /** Deletes messages stored before `ts` across all owners; returns how many. */
  deleteOlderThan(ts: number): Promise<number>;
}

export interface LastActivity {
  /** Time of the last logout, ms since epoch. */
  ts: number;
  status?: string;
}

export interface LastActivityStore {
  set(jid: string, activity: LastActivity): Promise<void>;
  get(jid: string): Promise<LastActivity | undefined>;
  delete(jid: string): Promise<void>;
}

/**
 * The JIDs a user blocks (XEP-0191). An item is any JID form the XEP
 * matches on: full, bare, domain/resource or domain, normalized by the
 * caller. Lists come back in code-point order without duplicates.
 */
export interface BlocklistStore {
  /** The owner's blocked JIDs; an unknown owner has none. */
  get(owner: string): Promise<string[]>;
  /** Adds JIDs (ones already there are ignored); returns the whole new list. */
  add(owner: string, jids: string[]): Promise<string[]>;
  /** Removes JIDs (ones not there are ignored); returns the whole new list. */
  remove(owner: string, jids: string[]): Promise<string[]>;
  /** Removes every item (unblock all, account deletion). */
  clear(owner: string): Promise<void>;
}

/** Every durable store a node needs, as one bundle opened and closed together. */
export interface Stores {
  accounts: AccountStore;
  rosters: RosterStore;
  offline: OfflineStore;
  lastActivity: LastActivityStore;
  blocklists: BlocklistStore;
  close(): Promise<void>;
}
