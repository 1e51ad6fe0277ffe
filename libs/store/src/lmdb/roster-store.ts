import type { Roster, RosterItem, RosterStore } from '../contracts.js';
import { plainEqual, withoutUndefined } from '../shared/record-values.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { MAX, asTuple, checkKeySize } from './keys.js';

/**
 * roster-items: [owner, contact] -> RosterItem (one owner's roster is one
 * range scan); roster-versions: owner -> counter. Item writes and the version
 * bump share a transaction. The counter is kept after deleteAll, so a version
 * handed out once is never handed out again for different contents.
 */
export class LmdbRosterStore implements RosterStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(owner: string): Promise<Roster> {
    checkOwner(owner);
    const { rosterItems, rosterVersions } = this.env.dbs;
    return this.env.read('rosters.get', (snapshot) => {
      const version = rosterVersions.get(owner, snapshot) ?? 0;
      const range = rosterItems.getRange({ ...snapshot, start: [owner], end: [owner, MAX] });
      return { version: String(version), items: Array.from(range, ({ value }) => value) };
    });
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    checkPair(owner, contact);
    return this.env.read('rosters.getItem', (snapshot) =>
      this.env.dbs.rosterItems.get([owner, contact], snapshot),
    );
  }

  async setItem(owner: string, item: RosterItem): Promise<string> {
    checkPair(owner, item.jid);
    const record = withoutUndefined(item);
    const { rosterItems } = this.env.dbs;
    return this.env.write('rosters.setItem', () => {
      const key = [owner, record.jid];
      if (plainEqual(rosterItems.get(key), record)) return String(this.version(owner));
      void rosterItems.put(key, record);
      return this.bump(owner);
    });
  }

  async removeItem(owner: string, contact: string): Promise<string> {
    checkPair(owner, contact);
    const { rosterItems } = this.env.dbs;
    return this.env.write('rosters.removeItem', () => {
      const key = [owner, contact];
      if (!rosterItems.doesExist(key)) return String(this.version(owner));
      void rosterItems.remove(key);
      return this.bump(owner);
    });
  }

  async deleteAll(owner: string): Promise<void> {
    checkOwner(owner);
    const { rosterItems } = this.env.dbs;
    await this.env.write('rosters.deleteAll', () => {
      const keys = Array.from(rosterItems.getKeys({ start: [owner], end: [owner, MAX] }));
      for (const key of keys) {
        asTuple<[string, string]>(key, 'ss', 'roster-items');
        void rosterItems.remove(key);
      }
      if (keys.length > 0) this.bump(owner);
    });
  }

  /** Inside a write transaction. */
  private version(owner: string): number {
    return this.env.dbs.rosterVersions.get(owner) ?? 0;
  }

  /** Inside a write transaction: increments and returns the owner's version. */
  private bump(owner: string): string {
    const next = this.version(owner) + 1;
    void this.env.dbs.rosterVersions.put(owner, next);
    return String(next);
  }
}

function checkOwner(owner: string): void {
  checkJid(owner, 'owner');
  checkKeySize(owner);
}

function checkPair(owner: string, contact: string): void {
  checkJid(owner, 'owner');
  checkJid(contact, 'contact');
  checkKeySize(owner, contact);
}
