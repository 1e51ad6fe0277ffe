import type { ListPage, RoomAffiliationItem, RoomStore, StoredRoom } from '../contracts.js';
import { compareCodePoints, domainOf } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkRoom, checkRoomAffiliation } from '../shared/room-validate.js';
import { checkJid, checkLimit } from '../shared/validate.js';
import { copyRecord } from './copy.js';
import { SortedKeys } from './sorted-keys.js';

export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, StoredRoom>();
  private readonly all = new SortedKeys();
  private readonly byDomain = new Map<string, SortedKeys>();
  private readonly affs = new Map<string, Map<string, RoomAffiliationItem>>();

  constructor(private readonly life: Lifecycle) {}

  async get(jid: string): Promise<StoredRoom | undefined> {
    this.life.assertOpen();
    checkJid(jid, 'room');
    const room = this.rooms.get(jid);
    return room && copyRecord(room);
  }

  async put(room: StoredRoom): Promise<void> {
    this.life.assertOpen();
    checkRoom(room);
    this.rooms.set(room.jid, copyRecord(room));
    this.all.add(room.jid);
    const domain = domainOf(room.jid);
    let keys = this.byDomain.get(domain);
    if (!keys) this.byDomain.set(domain, (keys = new SortedKeys()));
    keys.add(room.jid);
  }

  async delete(jid: string): Promise<boolean> {
    this.life.assertOpen();
    checkJid(jid, 'room');
    this.affs.delete(jid);
    if (!this.rooms.delete(jid)) return false;
    this.all.delete(jid);
    const domain = domainOf(jid);
    const keys = this.byDomain.get(domain);
    keys?.delete(jid);
    if (keys?.size === 0) this.byDomain.delete(domain);
    return true;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<StoredRoom>> {
    this.life.assertOpen();
    checkLimit(opts.limit);
    const { after, limit, domain } = opts;
    const keys = domain === undefined ? this.all : this.byDomain.get(domain);
    if (!keys) return { items: [] };
    const jids = keys.slice(after, limit === undefined ? Infinity : limit + 1);
    const more = limit !== undefined && jids.length > limit;
    if (more) jids.length = limit;
    const items = jids.map((jid) => copyRecord(this.rooms.get(jid)!));
    const last = jids[jids.length - 1];
    return more && last !== undefined ? { items, next: last } : { items };
  }

  async affiliations(room: string): Promise<RoomAffiliationItem[]> {
    this.life.assertOpen();
    checkJid(room, 'room');
    const affs = this.affs.get(room);
    if (!affs) return [];
    return [...affs.values()]
      .sort((a, b) => compareCodePoints(a.jid, b.jid))
      .map((item) => copyRecord(item));
  }

  async setAffiliation(
    room: string,
    item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
  ): Promise<void> {
    this.life.assertOpen();
    checkJid(room, 'room');
    checkRoomAffiliation(item);
    let affs = this.affs.get(room);
    if (item.affiliation === 'none') {
      affs?.delete(item.jid);
      if (affs?.size === 0) this.affs.delete(room);
      return;
    }
    if (!affs) this.affs.set(room, (affs = new Map()));
    affs.set(item.jid, copyRecord(item));
  }
}
