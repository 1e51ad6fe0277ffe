import type { ListPage, RoomAffiliationItem, RoomStore, StoredRoom } from '../contracts.js';
import { compareCodePoints } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkRoom, checkRoomAffiliation } from '../shared/room-validate.js';
import { checkJid } from '../shared/validate.js';
import { copyRecord } from './copy.js';
import { JidIndex } from './jid-index.js';

export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, StoredRoom>();
  private readonly index = new JidIndex();
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
    this.index.add(room.jid);
  }

  async delete(jid: string): Promise<boolean> {
    this.life.assertOpen();
    checkJid(jid, 'room');
    this.affs.delete(jid);
    if (!this.rooms.delete(jid)) return false;
    this.index.delete(jid);
    return true;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<StoredRoom>> {
    this.life.assertOpen();
    return this.index.page(opts, (jid) => copyRecord(this.rooms.get(jid)!));
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
