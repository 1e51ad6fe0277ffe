/**
 * Registration invitations (XEP-0401 / XEP-0445 / XEP-0379), shared by
 * every process of a cluster: made by a user's ad-hoc command or by the
 * admin API, redeemed by in-band registration on any gateway.
 *
 * An invitation is keyed by its token (a random, URL-safe string) and used
 * at most once: `take` removes it atomically, so two registrations racing
 * with one token cannot both get it. An invitation that names a username
 * reserves that account name until it is taken or expires (XEP-0445 section 5).
 */
export interface Invitation {
  /** Random token, 16-128 characters of [A-Za-z0-9_-]. */
  token: string;
  /** The domain an account may be registered on with it. */
  domain: string;
  /** Bare JID of the user who invited (subscriptions with the new account); absent: the admin API. */
  inviter?: string;
  /** Localpart the invitee must register (an account invitation naming it); absent: any free name. */
  username?: string;
  /** Whether the token allows registering an account (`ibr=y`, or an account invitation). */
  register: boolean;
  /** Whether the inviter and the new account are subscribed to each other once it is registered. */
  subscribe: boolean;
  createdAt: number;
  /** Milliseconds since epoch after which the token is refused. */
  expiresAt: number;
}

export interface InvitationStore {
  /** Stores a new invitation; false when the token or the username's reservation is already there. */
  create(invitation: Invitation): Promise<boolean>;
  /** The invitation of a token, unless there is none or it expired at `now`. */
  get(token: string, now: number): Promise<Invitation | undefined>;
  /**
   * Removes the invitation and returns it, unless there is none or it expired
   * at `now`: of concurrent callers with one token, at most one gets it.
   */
  take(token: string, now: number): Promise<Invitation | undefined>;
  /** Removes an invitation (revoked); false when there was none. */
  delete(token: string): Promise<boolean>;
  /** The token of the unexpired invitation reserving `username@domain`, if any. */
  reservedBy(domain: string, username: string, now: number): Promise<string | undefined>;
}
