export { loadConfig } from './load.js';
export type { LoadConfigOptions } from './load.js';
export { defaultConfig } from './defaults.js';
export { describeConfig } from './describe.js';
export type { ConfigKeyDescription } from './describe.js';
export { ConfigError } from './errors.js';
export { MUC_MODULE_PREFIX, disabledModulesOf, moduleHostOf } from './modules.js';
export type { ModuleHost } from './modules.js';
export type { ConfigErrorCode, ConfigErrorOptions } from './errors.js';
export type {
  AdminScope,
  AdminToken,
  Config,
  DeepPartial,
  LogLevelName,
  SaslMechanismName,
} from './types.js';
export { parseAdminToken } from './admin-tokens.js';
export { parseComponent } from './components-field.js';
export type { ComponentConfig, ComponentsConfig, S2sConfig } from './federation-types.js';
export type { UploadConfig, UploadS3Config } from './upload-types.js';
export type { QuotasConfig } from './quotas-types.js';
export type {
  ApnsAppConfig,
  FcmAppConfig,
  PushAppConfig,
  PushConfig,
  PushServiceConfig,
} from './push-types.js';
export { parsePushApp } from './push-apps-field.js';
export type { BoshConfig } from './bosh-types.js';
export type { ShaperConfig, ShaperLimits } from './shaper-types.js';
export type { FastConfig, Sasl2Config } from './sasl2-types.js';
export type { C2sLimitsConfig } from './c2s-limits-types.js';
export { REMOVED_KEYS } from './removed-keys.js';
export type { RemovedKey } from './removed-keys.js';
export type { LoginLimitsConfig, RegistrationLimitsConfig } from './login-limits-types.js';
export { DEFAULT_RESERVED_NAMES } from './login-limits-schema.js';
export type { ContactConfig } from './contact-types.js';
export type { ExtdiscoConfig } from './extdisco-types.js';
export { parseAddressRange } from './address-range.js';
export type { AddressRange } from './address-range.js';
export {
  cassandraConnection,
  cassandraSslOptions,
  natsConnectionSecurity,
  redisConnectionSecurity,
} from './connection-security.js';
export type {
  CassandraConnection,
  NatsConnectionSecurity,
  RedisConnectionSecurity,
  TlsPem,
} from './connection-security.js';
export type {
  CassandraTlsConfig,
  NatsSecurityConfig,
  RedisConfig,
  TlsFilesConfig,
} from './security-types.js';
export { postgresConnection } from './postgres-config.js';
export type {
  PostgresConnection,
  PostgresSslModeName,
  PostgresStoreConfig,
} from './postgres-config.js';
export {
  RESERVED_LOCALPARTS,
  adminMucActor,
  reservedAccount,
  reservedForRegistration,
} from './reserved-accounts.js';
export { authenticateBearer } from './admin-tokens.js';
export { opsAccess, opsEndpointOptions } from './ops-access.js';
export type { OpsAccess, OpsResource } from './ops-access.js';
export type { OpsConfig } from './ops-types.js';
export type { InvitationsConfig } from './invitations-types.js';
