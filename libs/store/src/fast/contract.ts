/**
 * XEP-0484 FAST token records, shared by every gateway of a cluster so a
 * token issued by one is accepted by all.
 *
 * A record holds what each token is derived from, never the token: the
 * gateways derive a token as HMAC-SHA-256 of the slot id (and the account's
 * current credentials) under a key only they hold (see
 * services/gateway/src/negotiation/fast.ts and docs/authentication.md). A
 * copy of the store alone authenticates nobody.
 *
 * One record per account and client (the SHA-256 of the client's SASL2
 * user-agent id), with the two slots XEP-0484 section 6.1 describes:
 * `current`, the token in use, and `next`, a newer token issued but not
 * used yet.
 */
export interface FastTokenSlot {
  /** Random id (base64url) the token is derived from. */
  id: string;
  /** The HT mechanism the token is bound to. */
  mechanism: string;
  issuedAt: number;
  expiresAt: number;
  /** Highest XEP-0484 `count` the client sent with this token (0: none yet). */
  count: number;
}

export interface FastTokenRecord {
  /** Bare JID of the account. */
  jid: string;
  /** SHA-256 (hex) of the client's SASL2 user-agent id. */
  agent: string;
  current?: FastTokenSlot;
  next?: FastTokenSlot;
}

export interface FastTokenStore {
  get(jid: string, agent: string): Promise<FastTokenRecord | undefined>;
  /** Writes the record (both slots as given); a record with neither slot is deleted. */
  set(record: FastTokenRecord): Promise<void>;
  delete(jid: string, agent: string): Promise<void>;
  /** Every client's record of an account (password change, account deletion); returns how many. */
  deleteAll(jid: string): Promise<number>;
}
