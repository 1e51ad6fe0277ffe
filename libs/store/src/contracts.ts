import type { FastTokenStore } from './fast/contract.js';
import type { InvitationStore } from './invitations/contract.js';

/**
 * Storage contracts. One interface per kind of data; every backend
 * (memory, LMDB; Redis and Cassandra later) implements the same contract and
 * passes the same contract suite (see test/contract-suite.ts).
 *
 * Keys: accounts, rosters, offline queues, last activity and blocklists are
 * keyed by the user's normalized bare JID string ("alice@example.org").
 */

import type { PushDeviceStore, PushRegistrationStore } from './push-contracts.js';

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
   * Appends a message unless the owner's queue already holds `cap` messages,
   * or (when `maxBytes` > 0) its messages and this one would pass `maxBytes`
   * bytes (UTF-8 bytes of the serialized XML, `offlineBytes`). Returns the
   * stored message, or undefined when the queue is full.
   */
  push(
    owner: string,
    xml: string,
    ts: number,
    cap: number,
    maxBytes?: number,
  ): Promise<OfflineMessage | undefined>;
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
  /** XEP-0484 FAST token records (src/fast). */
  fastTokens: FastTokenStore;
  /** Registration invitations, XEP-0401 (src/invitations). */
  invitations: InvitationStore;
  accounts: AccountStore;
  rosters: RosterStore;
  offline: OfflineStore;
  lastActivity: LastActivityStore;
  blocklists: BlocklistStore;
  archive: ArchiveStore;
  rooms: RoomStore;
  pubsub: PubsubStore;
  vcards: VcardStore;
  privateXml: PrivateStore;
  /** XEP-0357: the app servers each account enabled. */
  pushRegistrations: PushRegistrationStore;
  /** The devices registered on the built-in push service. */
  pushDevices: PushDeviceStore;
  close(): Promise<void>;
}

/* ------------------------------------------------------------------------ */
/* Message archive (XEP-0313), for users and for rooms.                      */
/* ------------------------------------------------------------------------ */

/**
 * One archived message. `id` is the archive id (also the XEP-0359
 * stanza-id the server stamps on the message): ids of one archive sort in
 * archive order as plain strings (see newArchiveId), so before-id/after-id
 * are string comparisons and a backend can cluster rows by id.
 */
export interface ArchivedMessage {
  id: string;
  /** Time archived, ms since epoch. */
  ts: number;
  /** Bare JID of the other party (1:1), or of the sender's occupant JID's room (rooms: the room's bare JID). */
  with: string;
  /** Resource of the other party (1:1: its resource if known; rooms: the sender's nick). */
  withResource?: string;
  /** The message as archived (serialized, with from/to). */
  xml: string;
}

export interface ArchiveQuery {
  /** Only messages with this bare JID (and this resource, when `withResource` is set). */
  with?: string;
  withResource?: string;
  /** Inclusive time bounds, ms since epoch. */
  start?: number;
  end?: number;
  /** Only ids strictly greater than / less than these (string order). */
  afterId?: string;
  beforeId?: string;
  /** Only these ids (XEP-0313 `ids` filter). */
  ids?: string[];
  /** Page size (the caller clamps it). */
  limit: number;
  /**
   * Take the page from the newest end (RSM <before/>): the `limit` newest
   * matches, still returned in ascending order.
   */
  fromEnd?: boolean;
}

export interface ArchivePage {
  /** Ascending id order. */
  items: ArchivedMessage[];
  /** True when no further matches exist beyond this page in the direction paged. */
  complete: boolean;
}

/** XEP-0313 preferences of one archive. */
export interface ArchivePrefs {
  default: 'always' | 'never' | 'roster';
  /** Bare JIDs always archived. */
  always: string[];
  /** Bare JIDs never archived. */
  never: string[];
}

export interface ArchiveStore {
  /**
   * Appends a message to the archive `archive` (a user's or a room's bare
   * JID). Appending an id that already exists replaces nothing and returns
   * false (redelivery after a crash must not duplicate).
   */
  append(archive: string, msg: ArchivedMessage): Promise<boolean>;
  query(archive: string, q: ArchiveQuery): Promise<ArchivePage>;
  get(archive: string, id: string): Promise<ArchivedMessage | undefined>;
  /** Number of messages matching the filters (limit/fromEnd ignored); for RSM <count/>. */
  count(archive: string, q: Omit<ArchiveQuery, 'limit' | 'fromEnd'>): Promise<number>;
  /** Deletes one archive entirely (account removal, room destruction); returns how many. */
  deleteAll(archive: string): Promise<number>;
  /** Deletes messages archived before `ts` across all archives; returns how many. */
  deleteOlderThan(ts: number): Promise<number>;
  /**
   * Keeps the newest `keep` messages of one archive (in archive order) and
   * deletes the older ones; returns how many were deleted. Prefs stay. The
   * per-account archive quota (`quotas.archiveMaxMessages`).
   */
  trim(archive: string, keep: number): Promise<number>;
  getPrefs(archive: string): Promise<ArchivePrefs | undefined>;
  setPrefs(archive: string, prefs: ArchivePrefs): Promise<void>;
}

/* ------------------------------------------------------------------------ */
/* Multi-user chat rooms (XEP-0045): the persistent part.                    */
/* ------------------------------------------------------------------------ */

export type RoomAffiliation = 'owner' | 'admin' | 'member' | 'outcast';

export interface RoomAffiliationItem {
  /** Bare JID (or a domain JID) the affiliation is granted to. */
  jid: string;
  affiliation: RoomAffiliation;
  reason?: string;
  /** Reserved nickname (members-only rooms). */
  nick?: string;
}

/** Values of a room configuration form, by field var (muc#roomconfig_*). */
export type RoomConfigValue = string | string[] | boolean | number;

export interface StoredRoom {
  /** Room bare JID. */
  jid: string;
  createdAt: number;
  config: Record<string, RoomConfigValue>;
  subject?: { text: string; by: string; ts: number };
}

export interface RoomStore {
  get(jid: string): Promise<StoredRoom | undefined>;
  /** Inserts or replaces the room record (affiliations are kept apart). */
  put(room: StoredRoom): Promise<void>;
  /** Deletes the room and its affiliations; returns false when it did not exist. */
  delete(jid: string): Promise<boolean>;
  /** Rooms ordered by jid, strictly after `after`, optionally only on one MUC domain. */
  list(opts?: { after?: string; limit?: number; domain?: string }): Promise<ListPage<StoredRoom>>;
  /** Affiliations of a room, ordered by jid. */
  affiliations(room: string): Promise<RoomAffiliationItem[]>;
  /** Sets (or with `none`, removes) one affiliation. */
  setAffiliation(
    room: string,
    item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
  ): Promise<void>;
}

/* ------------------------------------------------------------------------ */
/* Publish-subscribe (XEP-0060) and PEP (XEP-0163).                          */
/* ------------------------------------------------------------------------ */

/**
 * A node lives on a service: the pubsub component's JID
 * ("pubsub.example.org") or, for PEP, a user's bare JID.
 */
export interface PubsubNode {
  service: string;
  node: string;
  /** Node configuration values by field var without the `pubsub#` prefix (e.g. access_model, max_items). */
  config: Record<string, string | string[]>;
  createdAt: number;
}

export interface PubsubItem {
  /** Item id, unique within the node. */
  id: string;
  /** Full or bare JID of the publisher. */
  publisher: string;
  /** Time published, ms since epoch. */
  ts: number;
  /** The item's payload element, serialized (may be '' for an empty item). */
  payload: string;
}

/** The affiliations of XEP-0060 section 4.1, as stored. */
export const PUBSUB_AFFILIATIONS = [
  'owner',
  'publisher',
  'publish-only',
  'member',
  'none',
  'outcast',
] as const;

export type PubsubAffiliation = (typeof PUBSUB_AFFILIATIONS)[number];

export interface PubsubSubscription {
  jid: string;
  subid: string;
  state: 'subscribed' | 'pending' | 'unconfigured';
  /** Subscription options by field var without the `pubsub#` prefix. */
  options?: Record<string, string | string[]>;
}

export interface PubsubStore {
  getNode(service: string, node: string): Promise<PubsubNode | undefined>;
  /** Creates a node; false (and nothing changes) when it exists. */
  createNode(node: PubsubNode): Promise<boolean>;
  /** Replaces a node's configuration; false when the node does not exist. */
  updateNode(node: PubsubNode): Promise<boolean>;
  /** Deletes a node with its items, subscriptions and affiliations; false when absent. */
  deleteNode(service: string, node: string): Promise<boolean>;
  /** Nodes of a service ordered by node name. */
  listNodes(service: string): Promise<PubsubNode[]>;
  /**
   * Stores an item (an existing id is replaced and becomes the newest),
   * then trims the node to its `maxItems` newest items. Returns the ids
   * trimmed away.
   */
  publish(service: string, node: string, item: PubsubItem, maxItems: number): Promise<string[]>;
  /** Items newest first; `ids` picks those ids (in that order, unknown ones skipped). */
  items(
    service: string,
    node: string,
    opts?: { ids?: string[]; max?: number; after?: string },
  ): Promise<{ items: PubsubItem[]; count: number }>;
  /** Returns false when the item did not exist. */
  retract(service: string, node: string, id: string): Promise<boolean>;
  /** Deletes every item of the node; returns how many. */
  purge(service: string, node: string): Promise<number>;
  subscriptions(service: string, node: string): Promise<PubsubSubscription[]>;
  /** Every subscription `jid` (bare or full) holds on the service, with its node. */
  subscriptionsOf(service: string, jid: string): Promise<(PubsubSubscription & { node: string })[]>;
  /** Inserts or replaces the subscription with the same jid and subid. */
  setSubscription(service: string, node: string, sub: PubsubSubscription): Promise<void>;
  /** Removes one subscription (or every subscription of `jid` when subid is omitted); returns how many. */
  removeSubscription(service: string, node: string, jid: string, subid?: string): Promise<number>;
  affiliations(
    service: string,
    node: string,
  ): Promise<{ jid: string; affiliation: PubsubAffiliation }[]>;
  /** Sets an affiliation; `none` removes it. */
  setAffiliation(
    service: string,
    node: string,
    jid: string,
    affiliation: PubsubAffiliation,
  ): Promise<void>;
  /** Removes every node of a service (PEP: account removal); returns how many nodes. */
  deleteService(service: string): Promise<number>;
}

/* ------------------------------------------------------------------------ */
/* vcard-temp (XEP-0054) and private XML storage (XEP-0049).                 */
/* ------------------------------------------------------------------------ */

export interface VcardStore {
  /** The serialized <vCard xmlns='vcard-temp'/> element, if any. */
  get(jid: string): Promise<string | undefined>;
  set(jid: string, xml: string): Promise<void>;
  delete(jid: string): Promise<void>;
}

export interface PrivateStore {
  /** The serialized element stored under (name, namespace), if any. */
  get(owner: string, name: string, ns: string): Promise<string | undefined>;
  set(owner: string, name: string, ns: string, xml: string): Promise<void>;
  /** Bytes (UTF-8) of every element stored for `owner`: the private XML quota. */
  usage(owner: string): Promise<number>;
  deleteAll(owner: string): Promise<void>;
}
