export { connectRedis } from './redis.js';
export type { Redis } from './redis.js';
export { Leases } from './leases.js';
export { Membership } from './membership.js';
export { ownerOf, partitionsFor } from './rendezvous.js';
export { RedisOwnership, StaticOwnership } from './ownership.js';
export type { OwnershipHandlers, PartitionOwnership, RedisOwnershipOptions } from './ownership.js';
export { NoSessionStore, RedisSessionStore } from './session-store.js';
export type { SessionRecord, SessionStore } from './session-store.js';
