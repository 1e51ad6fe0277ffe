/** The server-to-server protocol engine (see engine.ts). */
export { S2sEngine } from './engine.js';
export type { S2sEngineOptions } from './engine.js';
export { S2sDeliveryError } from './errors.js';
export type { DeliveryCondition } from './errors.js';
export { dialbackKey, dialbackKeyMatches } from './dialback-key.js';
export { peerIdentity, certificateMatches } from './certificates.js';
export type { PeerIdentity } from './certificates.js';
export { resolveServer, parseOverrides, parseResolvers, ServerNotFoundError } from './dns.js';
export type { ResolveOptions, ServerCandidate } from './dns.js';
