import { checkTimestamp } from '../shared/validate.js';
import type { LmdbEnv } from '../lmdb/env.js';
import { checkKeySize } from '../lmdb/keys.js';
import type { Invitation, InvitationStore } from './contract.js';
import { checkInvitation, checkName, checkToken, invitationOf } from './validate.js';

/**
 * invitations: token -> Invitation; invitation-names: [domain, username] ->
 * token. Every change runs in one write transaction, so `take` is atomic.
 */
export class LmdbInvitationStore implements InvitationStore {
  constructor(private readonly env: LmdbEnv) {}

  async create(invitation: Invitation): Promise<boolean> {
    checkInvitation(invitation);
    const inv = invitationOf(invitation);
    checkKeySize(inv.token);
    if (inv.username !== undefined) checkKeySize(inv.domain, inv.username);
    const { invitations, invitationNames } = this.env.dbs;
    return this.env.write('invitations.create', () => {
      if (invitations.get(inv.token) !== undefined) return false;
      if (inv.username !== undefined) {
        const key = [inv.domain, inv.username];
        const holder = invitationNames.get(key);
        const held = holder === undefined ? undefined : invitations.get(holder);
        if (held !== undefined && held.expiresAt > inv.createdAt) return false;
        if (holder !== undefined) void invitations.remove(holder);
        void invitationNames.put(key, inv.token);
      }
      void invitations.put(inv.token, inv);
      return true;
    });
  }

  async get(token: string, now: number): Promise<Invitation | undefined> {
    checkToken(token);
    checkTimestamp(now, 'now');
    const inv = await this.env.read('invitations.get', (snapshot) =>
      this.env.dbs.invitations.get(token, snapshot),
    );
    return inv !== undefined && inv.expiresAt > now ? invitationOf(inv) : undefined;
  }

  async take(token: string, now: number): Promise<Invitation | undefined> {
    checkToken(token);
    checkTimestamp(now, 'now');
    return this.env.write('invitations.take', () => {
      const inv = this.env.dbs.invitations.get(token);
      if (inv === undefined || inv.expiresAt <= now) return undefined;
      this.removeSync(inv);
      return invitationOf(inv);
    });
  }

  async delete(token: string): Promise<boolean> {
    checkToken(token);
    return this.env.write('invitations.delete', () => {
      const inv = this.env.dbs.invitations.get(token);
      if (inv === undefined) return false;
      this.removeSync(inv);
      return true;
    });
  }

  async reservedBy(domain: string, username: string, now: number): Promise<string | undefined> {
    checkName(domain, 'domain');
    checkName(username, 'username');
    checkKeySize(domain, username);
    return this.env.read('invitations.reservedBy', (snapshot) => {
      const token = this.env.dbs.invitationNames.get([domain, username], snapshot);
      const inv = token === undefined ? undefined : this.env.dbs.invitations.get(token, snapshot);
      return inv !== undefined && inv.expiresAt > now ? inv.token : undefined;
    });
  }

  /** Inside a write transaction: the invitation and its reservation. */
  private removeSync(inv: Invitation): void {
    const { invitations, invitationNames } = this.env.dbs;
    void invitations.remove(inv.token);
    if (inv.username !== undefined) {
      const key = [inv.domain, inv.username];
      if (invitationNames.get(key) === inv.token) void invitationNames.remove(key);
    }
  }
}
