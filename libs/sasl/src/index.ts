export type {
  ChannelBindingSource,
  ChannelBindingType,
  Mechanism,
  SaslContext,
  SaslFailureCondition,
  SaslStep,
  ServerMechanism,
} from './types.js';
export { MECHANISMS } from './types.js';
export type {
  DeriveOptions,
  ScramCredential,
  StoredCredentials,
  VerifyOptions,
} from './credentials.js';
export type { VerifiedPasswordsOptions } from './verified-passwords.js';
export {
  DEFAULT_VERIFIED_MAX_ENTRIES,
  DEFAULT_VERIFIED_TTL_MS,
  VerifiedPasswords,
} from './verified-passwords.js';
export {
  DEFAULT_ITERATIONS,
  deriveCredentials,
  deriveScramCredential,
  verifyPassword,
} from './credentials.js';
export type { SaslErrorCode } from './errors.js';
export { SaslError } from './errors.js';
export type { OfferOptions } from './mechanisms.js';
export { createServerMechanism, isMechanism, offeredMechanisms } from './mechanisms.js';
export type { ServerMechanismOptions } from './options.js';
export { decodeSaslPayload, encodeSaslPayload } from './payload.js';
export { prepareUsername, preparePassword } from './saslprep.js';
export type { ScramHash } from './scram-crypto.js';
export type { SaltedPasswordCache, ScramClientOptions } from './scram-client.js';
export { ScramClient } from './scram-client.js';
export { channelBindingAvailable } from './channel-binding.js';
export {
  serverEndPointBinding,
  serverEndPointHash,
  TLS_EXPORTER_LABEL,
  tlsChannelBinding,
} from './tls-channel-binding.js';
export type { TlsChannelBindingOptions } from './tls-channel-binding.js';
export type { HtCandidate, HtContext, HtMechanism } from './ht.js';
export {
  HT_MECHANISMS,
  HtServerMechanism,
  htBindingType,
  htInitialResponse,
  htResponderMessage,
  isHtMechanism,
  offeredHtMechanisms,
} from './ht.js';
