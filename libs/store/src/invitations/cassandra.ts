import { StoreError } from '../errors.js';
import { checkTimestamp } from '../shared/validate.js';
import type { CqlSession } from '../cassandra/session.js';
import type { Invitation, InvitationStore } from './contract.js';
import { checkInvitation, checkName, checkToken, invitationOf } from './validate.js';

type Row = { get(name: string): unknown };

function text(row: Row, name: string): string | undefined {
  const v = row.get(name);
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') throw new StoreError('corrupt', `invitations.${name} is not text`);
  return v;
}

function num(row: Row, name: string): number {
  const v = row.get(name);
  // bigint columns come back as the driver's Long.
  const n = typeof v === 'number' ? v : Number((v as { toString(): string } | null)?.toString());
  if (!Number.isFinite(n)) throw new StoreError('corrupt', `invitations.${name} is not a number`);
  return n;
}

function fromRow(row: Row): Invitation {
  const inviter = text(row, 'inviter');
  const username = text(row, 'username');
  return invitationOf({
    token: text(row, 'token')!,
    domain: text(row, 'domain')!,
    ...(inviter !== undefined && { inviter }),
    ...(username !== undefined && { username }),
    register: row.get('register') === true,
    subscribe: row.get('subscribe') === true,
    createdAt: num(row, 'created_at'),
    expiresAt: num(row, 'expires_at'),
  });
}

/**
 * Tables `invitations ((token), ...)` and `invitation_names ((domain,
 * username), token, expires_at)` (deploy/cassandra/004_invitations.cql).
 * Single use and reservations are lightweight transactions: `take` deletes
 * the row `IF EXISTS`, and of concurrent takers only the one whose delete
 * applied gets the invitation; a reservation is inserted `IF NOT EXISTS`
 * (an expired one is first removed `IF token = <its token>`). Expired rows
 * stay until taken, revoked or replaced; they are never handed out.
 */
export class CassandraInvitationStore implements InvitationStore {
  private readonly q;

  constructor(private readonly session: CqlSession) {
    const t = session.table('invitations');
    const n = session.table('invitation_names');
    const cols = 'token, domain, inviter, username, register, subscribe, created_at, expires_at';
    this.q = {
      insert: `INSERT INTO ${t} (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      get: `SELECT ${cols} FROM ${t} WHERE token = ?`,
      take: `DELETE FROM ${t} WHERE token = ? IF EXISTS`,
      reserve: `INSERT INTO ${n} (domain, username, token, expires_at) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
      reservation: `SELECT token, expires_at FROM ${n} WHERE domain = ? AND username = ?`,
      unreserve: `DELETE FROM ${n} WHERE domain = ? AND username = ? IF token = ?`,
    };
  }

  async create(invitation: Invitation): Promise<boolean> {
    this.session.life.assertOpen();
    checkInvitation(invitation);
    const inv = invitationOf(invitation);
    if (inv.username !== undefined && !(await this.reserve(inv))) return false;
    const made = await this.session.cas('invitations.create', this.q.insert, [
      inv.token,
      inv.domain,
      inv.inviter ?? null,
      inv.username ?? null,
      inv.register,
      inv.subscribe,
      inv.createdAt,
      inv.expiresAt,
    ]);
    if (!made.applied && inv.username !== undefined) await this.unreserve(inv);
    return made.applied;
  }

  async get(token: string, now: number): Promise<Invitation | undefined> {
    this.session.life.assertOpen();
    checkToken(token);
    checkTimestamp(now, 'now');
    const [row] = await this.session.read('invitations.get', this.q.get, [token]);
    if (row === undefined) return undefined;
    const inv = fromRow(row);
    return inv.expiresAt > now ? inv : undefined;
  }

  async take(token: string, now: number): Promise<Invitation | undefined> {
    const inv = await this.get(token, now);
    if (inv === undefined) return undefined;
    const { applied } = await this.session.cas('invitations.take', this.q.take, [token]);
    if (!applied) return undefined;
    if (inv.username !== undefined) await this.unreserve(inv);
    return inv;
  }

  async delete(token: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkToken(token);
    const [row] = await this.session.read('invitations.get', this.q.get, [token]);
    if (row === undefined) return false;
    const inv = fromRow(row);
    // A lightweight transaction like `take`: the table is only written with them.
    const { applied } = await this.session.cas('invitations.delete', this.q.take, [token]);
    if (inv.username !== undefined) await this.unreserve(inv);
    return applied;
  }

  async reservedBy(domain: string, username: string, now: number): Promise<string | undefined> {
    this.session.life.assertOpen();
    checkName(domain, 'domain');
    checkName(username, 'username');
    const [row] = await this.session.read('invitations.reservation', this.q.reservation, [
      domain,
      username,
    ]);
    if (row === undefined || num(row, 'expires_at') <= now) return undefined;
    return text(row, 'token');
  }

  /** Reserves the invitation's username; an expired reservation is replaced. */
  private async reserve(inv: Invitation): Promise<boolean> {
    const params = [inv.domain, inv.username!, inv.token, inv.expiresAt];
    const first = await this.session.cas('invitations.reserve', this.q.reserve, params);
    if (first.applied) return true;
    // The reservation there (read again: not every server returns it with the failed insert).
    const [row] = await this.session.read('invitations.reservation', this.q.reservation, [
      inv.domain,
      inv.username!,
    ]);
    if (row === undefined || num(row, 'expires_at') > inv.createdAt) return false;
    // The reservation there expired: remove exactly it, then retry once.
    const gone = await this.session.cas('invitations.unreserve', this.q.unreserve, [
      inv.domain,
      inv.username!,
      text(row, 'token')!,
    ]);
    if (!gone.applied) return false;
    return (await this.session.cas('invitations.reserve', this.q.reserve, params)).applied;
  }

  private async unreserve(inv: Invitation): Promise<void> {
    await this.session.cas('invitations.unreserve', this.q.unreserve, [
      inv.domain,
      inv.username!,
      inv.token,
    ]);
  }
}
