import { checkTimestamp } from '../shared/validate.js';
import type { PgSession } from '../postgres/session.js';
import type { Invitation, InvitationStore } from './contract.js';
import { checkInvitation, checkName, checkToken, invitationOf } from './validate.js';

interface Row {
  token: string;
  domain: string;
  inviter: string | null;
  username: string | null;
  register: boolean;
  subscribe: boolean;
  created_at: string;
  expires_at: string;
}

const COLUMNS = 'token, domain, inviter, username, register, subscribe, created_at, expires_at';

function fromRow(r: Row): Invitation {
  return invitationOf({
    token: r.token,
    domain: r.domain,
    ...(r.inviter !== null && { inviter: r.inviter }),
    ...(r.username !== null && { username: r.username }),
    register: r.register,
    subscribe: r.subscribe,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  });
}

/**
 * `invitations` (deploy/postgres/004_invitations.sql): one row per token; a
 * unique index on (domain, username) holds the reservations, and `take` is
 * one `DELETE ... RETURNING`, so a token is handed out once.
 */
export class PostgresInvitationStore implements InvitationStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('invitations');
    this.q = {
      purgeName: `DELETE FROM ${t} WHERE domain = $1 AND username = $2 AND expires_at <= $3`,
      insert: `INSERT INTO ${t} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT DO NOTHING`,
      get: `SELECT ${COLUMNS} FROM ${t} WHERE token = $1 AND expires_at > $2`,
      take: `DELETE FROM ${t} WHERE token = $1 AND expires_at > $2 RETURNING ${COLUMNS}`,
      delete: `DELETE FROM ${t} WHERE token = $1`,
      reservedBy: `SELECT token FROM ${t} WHERE domain = $1 AND username = $2 AND expires_at > $3`,
    };
  }

  async create(invitation: Invitation): Promise<boolean> {
    checkInvitation(invitation);
    const inv = invitationOf(invitation);
    return this.db.tx('invitations.create', async (q) => {
      if (inv.username !== undefined)
        await q.query(this.q.purgeName, [inv.domain, inv.username, inv.createdAt]);
      const r = await q.query(this.q.insert, [
        inv.token,
        inv.domain,
        inv.inviter ?? null,
        inv.username ?? null,
        inv.register,
        inv.subscribe,
        inv.createdAt,
        inv.expiresAt,
      ]);
      return r.rowCount === 1;
    });
  }

  async get(token: string, now: number): Promise<Invitation | undefined> {
    checkToken(token);
    checkTimestamp(now, 'now');
    const r = await this.db.run('invitations.get', (q) => q.query<Row>(this.q.get, [token, now]));
    return r.rows[0] === undefined ? undefined : fromRow(r.rows[0]);
  }

  async take(token: string, now: number): Promise<Invitation | undefined> {
    checkToken(token);
    checkTimestamp(now, 'now');
    const r = await this.db.run('invitations.take', (q) => q.query<Row>(this.q.take, [token, now]));
    return r.rows[0] === undefined ? undefined : fromRow(r.rows[0]);
  }

  async delete(token: string): Promise<boolean> {
    checkToken(token);
    const r = await this.db.run('invitations.delete', (q) => q.query(this.q.delete, [token]));
    return (r.rowCount ?? 0) > 0;
  }

  async reservedBy(domain: string, username: string, now: number): Promise<string | undefined> {
    checkName(domain, 'domain');
    checkName(username, 'username');
    const r = await this.db.run('invitations.reservedBy', (q) =>
      q.query<{ token: string }>(this.q.reservedBy, [domain, username, now]),
    );
    return r.rows[0]?.token;
  }
}
