import type { ListPage, RoomAffiliationItem, RoomStore, StoredRoom } from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkRoom, checkRoomAffiliation } from '../shared/room-validate.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { listByJid } from './jid-listing.js';
import { checkKeySize } from './keys.js';
import { prefixRange, removePrefix } from './range.js';

/**
 * rooms: jid -> StoredRoom (list without a domain is a range scan);
 * rooms-by-domain: [domain, jid] -> true (list per MUC domain);
 * room-affiliations: [room, jid] -> RoomAffiliationItem (one room's
 * affiliations are one range scan, in jid order). delete removes all three
 * in one transaction.
 */
export class LmdbRoomStore implements RoomStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(jid: string): Promise<StoredRoom | undefined> {
    checkRoomJid(jid);
    return this.env.read('rooms.get', (snapshot) => this.env.dbs.rooms.get(jid, snapshot));
  }

  async put(room: StoredRoom): Promise<void> {
    checkRoom(room);
    checkRoomJid(room.jid);
    const record = withoutUndefined(room);
    await this.env.write('rooms.put', () => {
      void this.env.dbs.rooms.put(record.jid, record);
      void this.env.dbs.roomsByDomain.put([domainOf(record.jid), record.jid], true);
    });
  }

  async delete(jid: string): Promise<boolean> {
    checkRoomJid(jid);
    const { rooms, roomsByDomain, roomAffiliations } = this.env.dbs;
    return this.env.write('rooms.delete', () => {
      removePrefix(roomAffiliations, [jid]);
      if (!rooms.doesExist(jid)) return false;
      void rooms.remove(jid);
      void roomsByDomain.remove([domainOf(jid), jid]);
      return true;
    });
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<StoredRoom>> {
    const { rooms, roomsByDomain } = this.env.dbs;
    return this.env.read('rooms.list', (snapshot) =>
      listByJid(
        snapshot,
        {
          records: rooms,
          byDomain: roomsByDomain,
          tableName: 'rooms',
          indexName: 'rooms-by-domain',
        },
        opts,
      ),
    );
  }

  async affiliations(room: string): Promise<RoomAffiliationItem[]> {
    checkRoomJid(room);
    return this.env.read('rooms.affiliations', (snapshot) =>
      Array.from(
        this.env.dbs.roomAffiliations.getRange({ ...snapshot, ...prefixRange([room]) }),
        ({ value }) => value,
      ),
    );
  }

  async setAffiliation(
    room: string,
    item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
  ): Promise<void> {
    checkRoomJid(room);
    checkRoomAffiliation(item);
    checkKeySize(room, item.jid);
    const record = withoutUndefined(item);
    const { roomAffiliations } = this.env.dbs;
    await this.env.write('rooms.setAffiliation', () => {
      if (record.affiliation === 'none') void roomAffiliations.remove([room, record.jid]);
      else void roomAffiliations.put([room, record.jid], record);
    });
  }
}

function checkRoomJid(jid: string): void {
  checkJid(jid, 'room');
  checkKeySize(domainOf(jid), jid);
}
