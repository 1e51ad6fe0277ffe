/**
 * The backend of the configured storage kind. Checks run at once (a bad
 * configuration throws a ConfigError before anything starts); the AWS SDK
 * is loaded only when the storage is `s3`.
 */
import type { Config } from '@parley/config';
import { ConfigError } from '@parley/config';
import type { UploadBackend } from './backend.js';
import { LocalBackend } from './local-backend.js';
import { checkS3Config } from './s3-config.js';
import type { UploadSettings } from './settings.js';

export function openUploadBackend(
  config: Config,
  settings: UploadSettings,
): Promise<UploadBackend> {
  const { storage, expiryDays } = config.upload;
  if (storage.kind === 's3') {
    checkS3Config(storage.s3);
    return import('./s3-backend.js').then(
      ({ S3Backend }) => new S3Backend({ s3: storage.s3, expiryDays }),
    );
  }
  if (settings.publicUrl === undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.publicUrl: required with upload.storage.kind local',
      {
        key: 'upload.publicUrl',
      },
    );
  return Promise.resolve(new LocalBackend(settings.secret, settings.publicUrl, settings.dir));
}
