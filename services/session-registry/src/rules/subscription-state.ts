import type { RosterItem, Subscription } from '@parley/store';

/**
 * The subscription state machine of RFC 6121 (Appendix A) as four moves on
 * the 'subscription' value; pending-out (ask), pending-in and pre-approval
 * are separate fields of the roster item.
 */
export const hasSubFrom = (i: RosterItem): boolean =>
  i.subscription === 'from' || i.subscription === 'both';
export const hasSubTo = (i: RosterItem): boolean =>
  i.subscription === 'to' || i.subscription === 'both';

/** The contact may now see the user's presence. */
export function grantFrom(s: Subscription): Subscription {
  return s === 'none' ? 'from' : s === 'to' ? 'both' : s;
}

/** The user may now see the contact's presence. */
export function grantTo(s: Subscription): Subscription {
  return s === 'none' ? 'to' : s === 'from' ? 'both' : s;
}

/** The contact may no longer see the user's presence. */
export function revokeFrom(s: Subscription): Subscription {
  return s === 'from' ? 'none' : s === 'both' ? 'to' : s;
}

/** The user no longer sees the contact's presence. */
export function revokeTo(s: Subscription): Subscription {
  return s === 'to' ? 'none' : s === 'both' ? 'from' : s;
}
