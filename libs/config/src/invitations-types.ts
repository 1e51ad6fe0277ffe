/**
 * `registration.invitations`: invitation-only registration in the style of
 * XEP-0401 (invitations made by an ad-hoc command or the admin API),
 * XEP-0445 (in-band registration with the token) and XEP-0379 (the inviter
 * and the new account subscribed to each other). docs/registration.md.
 */
export interface InvitationsConfig {
  /** In-band registration needs a valid invitation token (registration.enabled must be on too). */
  required: boolean;
  /** Lifetime of a new invitation unless the admin API asks for a shorter one. */
  ttlMs: number;
  /** Whether every local user's `urn:xmpp:invite#invite` link also allows registering an account (ibr=y). */
  userInvites: boolean;
  /** Bare JIDs who may create account invitations (`urn:xmpp:invite#create-account`) and whose invites always allow registering. */
  admins: string[];
  /** Landing page URL of an invitation, `{token}` replaced by the token; unset: none offered. */
  landingUrl?: string;
}
