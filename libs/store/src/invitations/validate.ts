import { StoreError } from '../errors.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { Invitation } from './contract.js';

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

export function checkToken(token: unknown): asserts token is string {
  if (typeof token !== 'string' || !TOKEN.test(token))
    throw new StoreError('invalid-argument', 'token must be 16-128 characters of A-Z a-z 0-9 _ -');
}

export function checkName(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1023)
    throw new StoreError('invalid-argument', `${what} must be a string of 1-1023 characters`);
}

export function checkInvitation(inv: Invitation): void {
  checkToken(inv.token);
  checkName(inv.domain, 'domain');
  if (inv.inviter !== undefined) checkJid(inv.inviter);
  if (inv.username !== undefined) checkName(inv.username, 'username');
  if (typeof inv.register !== 'boolean' || typeof inv.subscribe !== 'boolean')
    throw new StoreError('invalid-argument', 'register and subscribe must be booleans');
  checkTimestamp(inv.createdAt, 'createdAt');
  checkTimestamp(inv.expiresAt, 'expiresAt');
}

/** The invitation with only the contract's fields, in a fixed order. */
export function invitationOf(inv: Invitation): Invitation {
  return {
    token: inv.token,
    domain: inv.domain,
    ...(inv.inviter !== undefined && { inviter: inv.inviter }),
    ...(inv.username !== undefined && { username: inv.username }),
    register: inv.register,
    subscribe: inv.subscribe,
    createdAt: inv.createdAt,
    expiresAt: inv.expiresAt,
  };
}

/** The key of a username's reservation. */
export function reservationKey(domain: string, username: string): string {
  return `${username}@${domain}`;
}
