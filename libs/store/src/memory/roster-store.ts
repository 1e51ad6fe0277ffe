import type { Roster, RosterItem, RosterStore } from '../contracts.js';
import { compareCodePoints } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { plainEqual } from '../shared/record-values.js';
import { checkJid } from '../shared/validate.js';
import { copyRecord } from './copy.js';

interface OwnerRoster {
  /** Never decreases, even when every item is removed. */
  version: number;
  items: Map<string, RosterItem>;
}

export class MemoryRosterStore implements RosterStore {
  private readonly rosters = new Map<string, OwnerRoster>();

  constructor(private readonly life: Lifecycle) {}

  async get(owner: string): Promise<Roster> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    const roster = this.rosters.get(owner);
    if (!roster) return { version: '0', items: [] };
    const items = [...roster.items.values()]
      .sort((a, b) => compareCodePoints(a.jid, b.jid))
      .map((item) => copyRecord(item));
    return { version: String(roster.version), items };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    const item = this.rosters.get(owner)?.items.get(contact);
    return item && copyRecord(item);
  }

  async setItem(owner: string, item: RosterItem): Promise<string> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(item.jid, 'item.jid');
    const roster = this.roster(owner);
    const stored = copyRecord(item);
    if (!plainEqual(roster.items.get(item.jid), stored)) {
      roster.items.set(item.jid, stored);
      roster.version++;
    }
    return String(roster.version);
  }

  async removeItem(owner: string, contact: string): Promise<string> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(contact, 'contact');
    const roster = this.rosters.get(owner);
    if (!roster) return '0';
    if (roster.items.delete(contact)) roster.version++;
    return String(roster.version);
  }

  async deleteAll(owner: string): Promise<void> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    const roster = this.rosters.get(owner);
    if (!roster || roster.items.size === 0) return;
    roster.items.clear();
    roster.version++;
  }

  private roster(owner: string): OwnerRoster {
    let roster = this.rosters.get(owner);
    if (!roster) {
      roster = { version: 0, items: new Map() };
      this.rosters.set(owner, roster);
    }
    return roster;
  }
}
