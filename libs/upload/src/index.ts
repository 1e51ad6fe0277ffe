export { NS_HTTP_UPLOAD, SLOT_HEADERS } from './ns.js';
export {
  DEFAULT_CONTENT_TYPE,
  MAX_FILENAME_BYTES,
  filenameProblem,
  keyPath,
  newSlotId,
  normalizeContentType,
  objectKey,
  parseKeyPath,
} from './names.js';
export type { ObjectKey } from './names.js';
export { signPut, userKey, verifyPut } from './signing.js';
export type { PutCheck, PutGrant } from './signing.js';
export { UploadStorageError, contentDisposition } from './backend.js';
export type { SlotRequest, SlotUrls, StoredFile, UploadBackend } from './backend.js';
export { LocalFiles } from './local-files.js';
export type { FileMeta, WriteResult } from './local-files.js';
export { LocalBackend } from './local-backend.js';
export { checkS3Config } from './s3-config.js';
export type { S3Access } from './s3-config.js';
export { openUploadBackend } from './open.js';
export { configuredSecret, readSecretFile, uploadSettings } from './settings.js';
export type { UploadSettings } from './settings.js';
export { PendingSlots, checkQuota } from './quota.js';
export type { QuotaVerdict } from './quota.js';
