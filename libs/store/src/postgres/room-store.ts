import type {
  ListPage,
  RoomAffiliationItem,
  RoomConfigValue,
  RoomStore,
  StoredRoom,
} from '../contracts.js';
import { domainOf } from '../shared/jid-order.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkRoom, checkRoomAffiliation } from '../shared/room-validate.js';
import { checkJid, checkLimit } from '../shared/validate.js';
import type { PgSession } from './session.js';
import { listPage } from './util.js';

interface RoomRow {
  jid: string;
  created_at: number;
  config: Record<string, RoomConfigValue>;
  subject: StoredRoom['subject'] | null;
}

interface AffiliationRow {
  jid: string;
  affiliation: RoomAffiliationItem['affiliation'];
  reason: string | null;
  nick: string | null;
}

const toRoom = (row: RoomRow): StoredRoom =>
  withoutUndefined({
    jid: row.jid,
    createdAt: row.created_at,
    config: row.config,
    subject: row.subject ?? undefined,
  });

/** `rooms` (listed per MUC domain through `rooms_by_domain`) plus `room_affiliations`. */
export class PostgresRoomStore implements RoomStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const rooms = db.table('rooms');
    const affs = db.table('room_affiliations');
    const columns = 'jid, created_at, config, subject';
    this.q = {
      get: `SELECT ${columns} FROM ${rooms} WHERE jid = $1`,
      put: `INSERT INTO ${rooms} (jid, domain, created_at, config, subject) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (jid) DO UPDATE SET created_at = excluded.created_at,
          config = excluded.config, subject = excluded.subject`,
      delete: `WITH a AS (DELETE FROM ${affs} WHERE room = $1)
        DELETE FROM ${rooms} WHERE jid = $1`,
      list: `SELECT ${columns} FROM ${rooms} WHERE jid > $1 ORDER BY jid LIMIT $2`,
      listDomain: `SELECT ${columns} FROM ${rooms} WHERE domain = $3 AND jid > $1 ORDER BY jid LIMIT $2`,
      affiliations: `SELECT jid, affiliation, reason, nick FROM ${affs} WHERE room = $1 ORDER BY jid`,
      setAffiliation: `INSERT INTO ${affs} (room, jid, affiliation, reason, nick) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (room, jid) DO UPDATE SET affiliation = excluded.affiliation,
          reason = excluded.reason, nick = excluded.nick`,
      removeAffiliation: `DELETE FROM ${affs} WHERE room = $1 AND jid = $2`,
    };
  }

  async get(jid: string): Promise<StoredRoom | undefined> {
    checkJid(jid, 'room');
    const r = await this.db.run('rooms.get', (q) => q.query<RoomRow>(this.q.get, [jid]));
    const row = r.rows[0];
    return row && toRoom(row);
  }

  async put(room: StoredRoom): Promise<void> {
    checkRoom(room);
    await this.db.run('rooms.put', (q) =>
      q.query(this.q.put, [
        room.jid,
        domainOf(room.jid),
        room.createdAt,
        JSON.stringify(room.config),
        room.subject === undefined ? null : JSON.stringify(withoutUndefined(room.subject)),
      ]),
    );
  }

  async delete(jid: string): Promise<boolean> {
    checkJid(jid, 'room');
    const r = await this.db.run('rooms.delete', (q) => q.query(this.q.delete, [jid]));
    return r.rowCount === 1;
  }

  async list(
    opts: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<ListPage<StoredRoom>> {
    checkLimit(opts.limit);
    return listPage(this.db, 'rooms.list', opts, this.q.list, this.q.listDomain, toRoom);
  }

  async affiliations(room: string): Promise<RoomAffiliationItem[]> {
    checkJid(room, 'room');
    const r = await this.db.run('rooms.affiliations', (q) =>
      q.query<AffiliationRow>(this.q.affiliations, [room]),
    );
    return r.rows.map((row) =>
      withoutUndefined({
        jid: row.jid,
        affiliation: row.affiliation,
        reason: row.reason ?? undefined,
        nick: row.nick ?? undefined,
      }),
    );
  }

  async setAffiliation(
    room: string,
    item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
  ): Promise<void> {
    checkJid(room, 'room');
    checkRoomAffiliation(item);
    if (item.affiliation === 'none') {
      await this.db.run('rooms.setAffiliation', (q) =>
        q.query(this.q.removeAffiliation, [room, item.jid]),
      );
      return;
    }
    const { reason, nick } = item as RoomAffiliationItem;
    await this.db.run('rooms.setAffiliation', (q) =>
      q.query(this.q.setAffiliation, [
        room,
        item.jid,
        item.affiliation,
        reason ?? null,
        nick ?? null,
      ]),
    );
  }
}
