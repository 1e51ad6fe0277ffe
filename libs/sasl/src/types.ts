import type { StoredCredentials } from './credentials.js';

/** SASL mechanisms the server implements. */
export type Mechanism =
  'SCRAM-SHA-1' | 'SCRAM-SHA-1-PLUS' | 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS' | 'PLAIN';

/** All mechanism names, strongest first (the order `offeredMechanisms` uses). */
export const MECHANISMS: readonly Mechanism[] = [
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'PLAIN',
];

/** Channel binding types (RFC 5929, RFC 9266). */
export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

/** Channel binding data of one TLS connection. */
export interface ChannelBindingSource {
  /** Types this connection can provide, preferred first. */
  types: ChannelBindingType[];
  /** Returns the binding data for the type, or undefined if unavailable. */
  get(type: ChannelBindingType): Buffer | undefined;
}

/** What a server mechanism needs from the stream that runs it. */
export interface SaslContext {
  /**
   * Looks up the stored credentials of a username. The mechanism passes the
   * SASLprep'ed authcid; the caller applies any further normalization (for
   * example turning it into a JID localpart). Returns undefined for unknown
   * users. A rejected promise ends the exchange with temporary-auth-failure.
   */
  lookup(username: string): Promise<StoredCredentials | undefined>;
  /** Present on TLS streams. */
  channelBinding?: ChannelBindingSource;
  /** TLS in use. */
  secure: boolean;
}

/** RFC 6120 section 6.5 failure conditions (a closed set). */
export type SaslFailureCondition =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

/** The outcome of one step of a server mechanism. */
export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  | {
      kind: 'success';
      /** The SASLprep'ed authcid. */
      username: string;
      /** The requested authorization identity, when the client sent a non-empty one. */
      authzid?: string;
      /** Additional data with success (the SCRAM server-final-message). */
      data?: Buffer;
    }
  | { kind: 'failure'; condition: SaslFailureCondition; text?: string };

/** One authentication attempt, driven by the stream. */
export interface ServerMechanism {
  readonly name: Mechanism;
  /** Handles the `<auth/>` element; `initial` is undefined when it carried no initial response. */
  start(initial: Buffer | undefined): Promise<SaslStep>;
  /** Handles a `<response/>` element. */
  step(response: Buffer): Promise<SaslStep>;
}
