import type { VerifiedPasswords } from './verified-passwords.js';

/** Options of {@link createServerMechanism}; all optional. */
export interface ServerMechanismOptions {
  /**
   * Generates the server's part of the SCRAM nonce: printable ASCII without
   * ','. Default: 24 random bytes, base64. Tests inject fixed nonces here.
   */
  nonce?: () => string;
  /**
   * Secret the fake credentials of unknown users are derived from. Give every
   * node of a cluster the same secret so that an unknown user gets the same
   * salt whichever node answers. Default: a random per-process secret.
   */
  unknownUserSecret?: Buffer;
  /**
   * Iteration count announced for unknown users (and PBKDF2 work done for them
   * by PLAIN). Set it to the count new accounts get. Default 4096.
   */
  unknownUserIterations?: number;
  /**
   * PLAIN: remember passwords verified recently, so that the same user
   * logging in again costs no PBKDF2 (see verified-passwords.ts for what is
   * kept and why it is not a password equivalent). Default: none.
   */
  verifiedPasswords?: VerifiedPasswords;
  /** Allow PLAIN on streams without TLS. Default false. */
  allowPlainWithoutTls?: boolean;
  /** Largest client message accepted, in bytes; longer ones are malformed-request. Default 4096. */
  maxMessageLength?: number;
}

export const DEFAULT_MAX_MESSAGE_LENGTH = 4096;
