/**
 * Invitations (XEP-0401 Easy User Onboarding, XEP-0445 Pre-Authenticated
 * In-Band Registration, XEP-0379 Pre-Authenticated Roster Subscription):
 * namespaces, tokens and the xmpp: URIs that carry them.
 */
import { randomBytes } from 'node:crypto';

/** XEP-0379/0445: `<preauth xmlns='urn:xmpp:pars:0' token='...'/>`. */
export const NS_PARS = 'urn:xmpp:pars:0';
/** XEP-0445: the stream feature of a server accepting invitation tokens. */
export const NS_IBR_TOKEN = 'urn:xmpp:ibr-token:0';
/** XEP-0401: ad-hoc command nodes and the FORM_TYPE of their result. */
export const NODE_INVITE = 'urn:xmpp:invite#invite';
export const NODE_CREATE_ACCOUNT = 'urn:xmpp:invite#create-account';
export const FORM_INVITATION = 'urn:xmpp:invite#invitation';

/** A new token: 24 random bytes, base64url (32 characters, alphanumeric with - and _). */
export function newInvitationToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The xmpp: URI of an invitation (XEP-0401 section 5): a contact
 * invitation `xmpp:romeo@example.com?roster;preauth=TOKEN[;ibr=y]`, or an
 * account invitation `xmpp:[juliet@]example.com?register;preauth=TOKEN`.
 */
export function invitationUri(inv: {
  token: string;
  domain: string;
  inviter?: string;
  username?: string;
  register: boolean;
}): string {
  const token = encodeURIComponent(inv.token);
  if (inv.inviter !== undefined && inv.username === undefined)
    return `xmpp:${inv.inviter}?roster;preauth=${token}${inv.register ? ';ibr=y' : ''}`;
  const at = inv.username !== undefined ? `${inv.username}@` : '';
  return `xmpp:${at}${inv.domain}?register;preauth=${token}`;
}
