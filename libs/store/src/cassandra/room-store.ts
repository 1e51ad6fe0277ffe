import type {
  ListPage,
  RoomAffiliation,
  RoomAffiliationItem,
  RoomConfigValue,
  RoomStore,
  StoredRoom,
} from '../contracts.js';
import { checkRoom, checkRoomAffiliation } from '../shared/room-validate.js';
import { checkJid } from '../shared/validate.js';
import type { CqlSession, Row } from './session.js';
import { ShardedIndex } from './sharded-index.js';
import { mapLimit, parseJson, requireString, toNumber } from './util.js';

/**
 * Tables: `rooms (jid PRIMARY KEY)` with the configuration and subject as
 * JSON (form values of mixed types), the sharded listing `rooms_by_shard` /
 * `rooms_by_domain` (see ShardedIndex; the domain is the MUC service's), and
 * `room_affiliations ((room), jid)`, clustered by jid.
 *
 * `put` and `delete` write the room row and its index rows in one logged
 * batch: all of it lands or none, and a racing put/delete resolves the same
 * way in every table (the whole batch carries one timestamp). `delete`
 * reads the row first to report whether it existed.
 */
export class CassandraRoomStore implements RoomStore {
  private readonly index: ShardedIndex;
  private readonly q: Record<
    'get' | 'put' | 'exists' | 'delete' | 'affs' | 'setAff' | 'deleteAff' | 'deleteAffs',
    string
  >;

  constructor(private readonly session: CqlSession) {
    const t = session.table('rooms');
    const affs = session.table('room_affiliations');
    this.index = new ShardedIndex(session, 'rooms_by_shard', 'rooms_by_domain');
    this.q = {
      get: `SELECT jid, created_at, config, subject FROM ${t} WHERE jid = ?`,
      put: `INSERT INTO ${t} (jid, created_at, config, subject) VALUES (?, ?, ?, ?)`,
      exists: `SELECT jid FROM ${t} WHERE jid = ?`,
      delete: `DELETE FROM ${t} WHERE jid = ?`,
      affs: `SELECT jid, affiliation, reason, nick FROM ${affs} WHERE room = ?`,
      setAff: `INSERT INTO ${affs} (room, jid, affiliation, reason, nick) VALUES (?, ?, ?, ?, ?)`,
      deleteAff: `DELETE FROM ${affs} WHERE room = ? AND jid = ?`,
      deleteAffs: `DELETE FROM ${affs} WHERE room = ?`,
    };
  }

  async get(jid: string): Promise<StoredRoom | undefined> {
    this.session.life.assertOpen();
    checkJid(jid, 'room');
    const [row] = await this.session.read('rooms.get', this.q.get, [jid]);
    return row && decodeRoom(row);
  }

  async put(room: StoredRoom): Promise<void> {
    this.session.life.assertOpen();
    checkRoom(room);
    await this.session.batch(
      'rooms.put',
      [
        {
          query: this.q.put,
          params: [
            room.jid,
            room.createdAt,
            JSON.stringify(room.config),
            room.subject === undefined ? null : JSON.stringify(room.subject),
          ],
        },
        ...this.index.insertStatements(room.jid),
      ],
      'logged',
    );
  }

  async delete(jid: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkJid(jid, 'room');
    const [row] = await this.session.read('rooms.delete', this.q.exists, [jid]);
    await this.session.batch(
      'rooms.delete',
      [
        { query: this.q.delete, params: [jid] },
        ...this.index.deleteStatements(jid),
        { query: this.q.deleteAffs, params: [jid] },
      ],
      'logged',
    );
    return row !== undefined;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<StoredRoom>> {
    this.session.life.assertOpen();
    return this.index.page('rooms.list', opts, (jids) =>
      mapLimit(jids, 32, async (jid) => {
        const [row] = await this.session.read('rooms.list', this.q.get, [jid]);
        return row && decodeRoom(row);
      }),
    );
  }

  async affiliations(room: string): Promise<RoomAffiliationItem[]> {
    this.session.life.assertOpen();
    checkJid(room, 'room');
    const rows = await this.session.readAll('rooms.affiliations', this.q.affs, [room]);
    return rows.map((row) => {
      const item: RoomAffiliationItem = {
        jid: requireString(row.get('jid'), 'room_affiliations.jid'),
        affiliation: requireString(
          row.get('affiliation'),
          'room_affiliations.affiliation',
        ) as RoomAffiliation,
      };
      const reason = row.get('reason') as unknown;
      if (typeof reason === 'string') item.reason = reason;
      const nick = row.get('nick') as unknown;
      if (typeof nick === 'string') item.nick = nick;
      return item;
    });
  }

  async setAffiliation(
    room: string,
    item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
  ): Promise<void> {
    this.session.life.assertOpen();
    checkJid(room, 'room');
    checkRoomAffiliation(item);
    if (item.affiliation === 'none') {
      await this.session.write('rooms.setAffiliation', this.q.deleteAff, [room, item.jid]);
      return;
    }
    await this.session.write('rooms.setAffiliation', this.q.setAff, [
      room,
      item.jid,
      item.affiliation,
      item.reason ?? null,
      item.nick ?? null,
    ]);
  }
}

function decodeRoom(row: Row): StoredRoom {
  const room: StoredRoom = {
    jid: requireString(row.get('jid'), 'rooms.jid'),
    createdAt: toNumber(row.get('created_at'), 'rooms.created_at'),
    config: parseJson<Record<string, RoomConfigValue>>(row.get('config'), 'rooms.config'),
  };
  const subject = row.get('subject') as unknown;
  if (subject !== null && subject !== undefined) {
    room.subject = parseJson<NonNullable<StoredRoom['subject']>>(subject, 'rooms.subject');
  }
  return room;
}
