/**
 * Per-account limits (docs/security.md, "Per-account limits and quotas"):
 * what one account may hold, enforced by the session registry that owns the
 * account, so they hold across every gateway of a cluster. 0 = unlimited
 * where a key says so.
 */
export interface QuotasConfig {
  /** Concurrent sessions (bound resources) of one account. */
  maxResourcesPerAccount: number;
  /** Roster items (contacts and pending subscription requests) of one account. */
  rosterMaxItems: number;
  /** Bytes of XEP-0049 private XML one account may store. */
  privateXmlBytes: number;
  /** PEP (XEP-0163) nodes one account may have. */
  pepMaxNodes: number;
  /** Largest vCard (XEP-0054) accepted, in bytes. */
  vcardMaxBytes: number;
  /** Messages kept in one account's archive (XEP-0313); the oldest are deleted beyond it. */
  archiveMaxMessages: number;
}
