import { Lifecycle } from '../shared/lifecycle.js';
import { checkTimestamp } from '../shared/validate.js';
import type { Invitation, InvitationStore } from './contract.js';
import {
  checkInvitation,
  checkName,
  checkToken,
  invitationOf,
  reservationKey,
} from './validate.js';

/** Invitations of one process (tests, the all-in-one server with memory storage). */
export class MemoryInvitationStore implements InvitationStore {
  private readonly byToken = new Map<string, Invitation>();
  /** username@domain -> token */
  private readonly reserved = new Map<string, string>();

  constructor(private readonly life: Lifecycle = new Lifecycle()) {}

  async create(invitation: Invitation): Promise<boolean> {
    this.life.assertOpen();
    checkInvitation(invitation);
    const inv = invitationOf(invitation);
    if (this.byToken.has(inv.token)) return false;
    if (inv.username !== undefined) {
      const key = reservationKey(inv.domain, inv.username);
      const holder = this.reserved.get(key);
      const held = holder === undefined ? undefined : this.byToken.get(holder);
      if (held !== undefined && held.expiresAt > inv.createdAt) return false;
      if (holder !== undefined) this.byToken.delete(holder);
      this.reserved.set(key, inv.token);
    }
    this.byToken.set(inv.token, inv);
    return true;
  }

  async get(token: string, now: number): Promise<Invitation | undefined> {
    this.life.assertOpen();
    checkToken(token);
    checkTimestamp(now, 'now');
    const inv = this.byToken.get(token);
    return inv !== undefined && inv.expiresAt > now ? invitationOf(inv) : undefined;
  }

  async take(token: string, now: number): Promise<Invitation | undefined> {
    this.life.assertOpen();
    checkToken(token);
    checkTimestamp(now, 'now');
    // Looked up and removed in one step: concurrent takers cannot both get it.
    const inv = this.byToken.get(token);
    if (inv === undefined || inv.expiresAt <= now) return undefined;
    this.remove(inv);
    return invitationOf(inv);
  }

  async delete(token: string): Promise<boolean> {
    this.life.assertOpen();
    checkToken(token);
    const inv = this.byToken.get(token);
    if (inv === undefined) return false;
    this.remove(inv);
    return true;
  }

  private remove(inv: Invitation): void {
    this.byToken.delete(inv.token);
    if (inv.username !== undefined) {
      const key = reservationKey(inv.domain, inv.username);
      if (this.reserved.get(key) === inv.token) this.reserved.delete(key);
    }
  }

  async reservedBy(domain: string, username: string, now: number): Promise<string | undefined> {
    this.life.assertOpen();
    checkName(domain, 'domain');
    checkName(username, 'username');
    const token = this.reserved.get(reservationKey(domain, username));
    const inv = token === undefined ? undefined : this.byToken.get(token);
    return inv !== undefined && inv.expiresAt > now ? inv.token : undefined;
  }
}
