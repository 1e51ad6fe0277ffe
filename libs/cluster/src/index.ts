export { connectRedis, redisSecurityOptions } from './redis.js';
export type { Redis, RedisSecurity } from './redis.js';
export { Leases } from './leases.js';
export { Membership } from './membership.js';
export { ownerOf, partitionsFor } from './rendezvous.js';
export { RedisOwnership, StaticOwnership, readTerms, termKey } from './ownership.js';
export type {
  OwnershipEvent,
  OwnershipHandlers,
  PartitionOwnership,
  RedisOwnershipOptions,
} from './ownership.js';
export { BusLiveness } from './liveness.js';
export { NoSessionStore, RedisSessionStore } from './session-store.js';
export type { SessionRecord, SessionStore } from './session-store.js';
export { addressKey } from './login-limits/address-key.js';
export { failureDelay } from './login-limits/contract.js';
export type {
  AddressState,
  FailureOutcome,
  LoginLimits,
  LoginLimitsOptions,
  RegistrationVerdict,
  Refusal,
} from './login-limits/contract.js';
export { MemoryLoginLimits } from './login-limits/memory.js';
export { loginLimitsOptions } from './login-limits/options.js';
export type { MemoryLoginLimitsOptions } from './login-limits/memory.js';
export { LOGIN_LIMITS_PREFIX, RedisLoginLimits } from './login-limits/redis.js';
export { LinkError, linkError, linkFailureKind, redisLinkReady } from './link-errors.js';
export type { LinkFailureKind, LinkName } from './link-errors.js';
