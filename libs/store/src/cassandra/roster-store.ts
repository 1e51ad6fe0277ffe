import type { Roster, RosterItem, RosterStore, Subscription } from '../contracts.js';
import { plainEqual, withoutUndefined } from '../shared/record-values.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession, Row } from './session.js';
import {
  CAS_ATTEMPTS,
  KeyedMutex,
  backoff,
  contention,
  optionalNumber,
  requireString,
} from './util.js';

const ITEM_COLUMNS =
  'contact, name, subscription, ask, pending_in, pending_in_stanza, approved, groups, listed';

/**
 * Table `roster_items`: one partition per owner, one row per contact
 * (clustered by contact, so a roster reads in code-point order), and the
 * roster version as a *static* column of the partition.
 *
 * Every change is one conditional batch on the owner's partition:
 * `UPDATE ... SET version = v+1 WHERE owner = ? IF version = v` plus the
 * item insert/delete. The batch applies atomically or not at all, so the
 * version and the items can never disagree, and two writers racing on one
 * roster cannot both win with the same version. Deleting the roster is a
 * range delete of the rows; the static version survives it, so versions
 * are never reused. Writes of one owner are serialized inside the process
 * (KeyedMutex) so they do not fight each other over the Paxos round.
 */
export class CassandraRosterStore implements RosterStore {
  private readonly mutex = new KeyedMutex();
  private readonly q: Record<
    'all' | 'item' | 'version' | 'bump' | 'insert' | 'deleteItem' | 'deleteRows' | 'any',
    string
  >;

  constructor(private readonly session: CqlSession) {
    const t = session.table('roster_items');
    this.q = {
      all: `SELECT version, ${ITEM_COLUMNS} FROM ${t} WHERE owner = ?`,
      item: `SELECT ${ITEM_COLUMNS} FROM ${t} WHERE owner = ? AND contact = ?`,
      version: `SELECT version FROM ${t} WHERE owner = ? LIMIT 1`,
      any: `SELECT version, contact FROM ${t} WHERE owner = ? LIMIT 1`,
      bump: `UPDATE ${t} SET version = ? WHERE owner = ? IF version = ?`,
      insert: `INSERT INTO ${t} (owner, ${ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      deleteItem: `DELETE FROM ${t} WHERE owner = ? AND contact = ?`,
      // Every contact is non-empty, so this range is every row (the static version stays).
      deleteRows: `DELETE FROM ${t} WHERE owner = ? AND contact > ''`,
    };
  }

  async get(owner: string): Promise<Roster> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    const rows = await this.session.readAll('rosters.get', this.q.all, [owner]);
    if (rows.length === 0) return { version: '0', items: [] };
    const version = optionalNumber(rows[0]!.get('version'), 'roster_items.version') ?? 0;
    const items = rows.filter((row) => row.get('contact') !== null).map(decodeItem);
    return { version: String(version), items };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    const [row] = await this.session.read('rosters.getItem', this.q.item, [owner, contact]);
    return row && decodeItem(row);
  }

  async setItem(owner: string, item: RosterItem): Promise<string> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(item.jid, 'item.jid');
    const stored = withoutUndefined(item);
    return this.mutex.run(owner, async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [version, existing] = await Promise.all([
          this.version(owner),
          this.getItem(owner, item.jid),
        ]);
        if (existing !== undefined && plainEqual(existing, stored)) return String(version ?? 0);
        const next = (version ?? 0) + 1;
        const applied = await this.session.casBatch('rosters.setItem', [
          { query: this.q.bump, params: [next, owner, version ?? null] },
          {
            query: this.q.insert,
            params: [
              owner,
              item.jid,
              item.name ?? null,
              item.subscription,
              item.ask ?? null,
              item.pendingIn ?? null,
              item.pendingInStanza ?? null,
              item.approved ?? null,
              [...item.groups],
              item.listed,
            ],
          },
        ]);
        if (applied) return String(next);
        await backoff(attempt);
      }
      throw contention('rosters.setItem');
    });
  }

  async removeItem(owner: string, contact: string): Promise<string> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    return this.mutex.run(owner, async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [version, existing] = await Promise.all([
          this.version(owner),
          this.getItem(owner, contact),
        ]);
        if (existing === undefined) return String(version ?? 0);
        const next = (version ?? 0) + 1;
        const applied = await this.session.casBatch('rosters.removeItem', [
          { query: this.q.bump, params: [next, owner, version ?? null] },
          { query: this.q.deleteItem, params: [owner, contact] },
        ]);
        if (applied) return String(next);
        await backoff(attempt);
      }
      throw contention('rosters.removeItem');
    });
  }

  async deleteAll(owner: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    await this.mutex.run(owner, async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [row] = await this.session.read('rosters.deleteAll', this.q.any, [owner]);
        // No row, or only the static version: nothing to delete, version unchanged.
        if (!row || row.get('contact') === null) return;
        const version = optionalNumber(row.get('version'), 'roster_items.version');
        const applied = await this.session.casBatch('rosters.deleteAll', [
          { query: this.q.bump, params: [(version ?? 0) + 1, owner, version ?? null] },
          { query: this.q.deleteRows, params: [owner] },
        ]);
        if (applied) return;
        await backoff(attempt);
      }
      throw contention('rosters.deleteAll');
    });
  }

  private async version(owner: string): Promise<number | undefined> {
    const [row] = await this.session.read('rosters.version', this.q.version, [owner]);
    return row ? optionalNumber(row.get('version'), 'roster_items.version') : undefined;
  }
}

function decodeItem(row: Row): RosterItem {
  const groups = row.get('groups') as unknown;
  const item: RosterItem = {
    jid: requireString(row.get('contact'), 'roster_items.contact'),
    subscription: requireString(
      row.get('subscription'),
      'roster_items.subscription',
    ) as Subscription,
    groups: Array.isArray(groups) ? groups.map((g) => requireString(g, 'roster_items.groups')) : [],
    listed: row.get('listed') === true,
  };
  const name = row.get('name') as unknown;
  if (typeof name === 'string') item.name = name;
  if (row.get('ask') === 'subscribe') item.ask = 'subscribe';
  const pendingIn = row.get('pending_in') as unknown;
  if (typeof pendingIn === 'boolean') item.pendingIn = pendingIn;
  const stanza = row.get('pending_in_stanza') as unknown;
  if (typeof stanza === 'string') item.pendingInStanza = stanza;
  const approved = row.get('approved') as unknown;
  if (typeof approved === 'boolean') item.approved = approved;
  return item;
}
