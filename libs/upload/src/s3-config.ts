/** The S3 settings checked at start, without loading the AWS SDK. */
import { ConfigError } from '@parley/config';
import type { UploadS3Config } from '@parley/config';
import { readSecretFile } from './settings.js';

export interface S3Access {
  bucket: string;
  /** Unset: the AWS SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The bucket and credentials of upload.storage.s3; throws a ConfigError naming the key. */
export function checkS3Config(s3: UploadS3Config): S3Access {
  if (s3.bucket === undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.storage.s3.bucket: required with upload.storage.kind s3',
      { key: 'upload.storage.s3.bucket' },
    );
  if (s3.secretAccessKey !== undefined && s3.secretAccessKeyFile !== undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.storage.s3.secretAccessKey and upload.storage.s3.secretAccessKeyFile: set only one of them',
      { key: 'upload.storage.s3.secretAccessKey' },
    );
  const secret =
    s3.secretAccessKeyFile !== undefined
      ? readSecretFile('upload.storage.s3.secretAccessKeyFile', s3.secretAccessKeyFile)
      : s3.secretAccessKey;
  if (s3.accessKeyId === undefined && secret === undefined) return { bucket: s3.bucket };
  if (s3.accessKeyId === undefined || secret === undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.storage.s3.accessKeyId: set it together with secretAccessKey (or secretAccessKeyFile), or neither to use the default AWS credentials',
      { key: 'upload.storage.s3.accessKeyId' },
    );
  return {
    bucket: s3.bucket,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: secret },
  };
}
