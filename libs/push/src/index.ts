export { PushError } from './errors.js';
export type { PushErrorCode } from './errors.js';
export { backoffMs, parseRetryAfter, withRetries } from './retry.js';
export type { AttemptOutcome, DeliveryResult, RetryDeps, RetryPolicy } from './retry.js';
export { FCM_SCOPE, GoogleTokenSource, readServiceAccount } from './google-auth.js';
export type { AccessToken, ServiceAccount } from './google-auth.js';
export { FCM_ENDPOINT, FcmSender, classifyFcm } from './fcm.js';
export type { FcmOptions, PushData } from './fcm.js';
export {
  APNS_PRODUCTION,
  APNS_SANDBOX,
  ApnsSender,
  PROVIDER_TOKEN_MS,
  classifyApns,
} from './apns.js';
export type { ApnsOptions } from './apns.js';
export { deviceHash, openSender, validToken } from './apps.js';
export type { PushSender, SenderSettings } from './apps.js';
