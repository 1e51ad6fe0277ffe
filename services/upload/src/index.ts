export { buildUploadApp } from './app.js';
export type { UploadAppOptions } from './app.js';
export { startUploadService } from './service.js';
export type { UploadService, UploadServiceOptions } from './service.js';
export { derivedPublicUrl, startEmbeddedUpload } from './embedded.js';
export type { EmbeddedUpload } from './embedded.js';
