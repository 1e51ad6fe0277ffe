/** External services (XEP-0215): STUN/TURN servers offered to clients, with TURN REST credentials. */
export interface ExtdiscoConfig {
  /** RFC 7064/7065 URIs: `stun:host:port`, `turn:host:port?transport=udp`, `turns:host:port?transport=tcp`. */
  services: string[];
  /** Shared secret of the TURN server (coturn `static-auth-secret`) for time-limited credentials. */
  secret?: string;
  secretFile?: string;
  /** How long issued TURN credentials are valid. */
  credentialTtlMs: number;
}
