/**
 * Slots on an S3-compatible store: the PUT URL is a presigned PutObject
 * (SigV4 in the query string) that signs the key, Content-Type and
 * Content-Length, so the store itself refuses another size or type and no
 * Parley process sees the file; the GET URL is a presigned GetObject
 * (valid for the expiry, at most 7 days) or `<publicBaseUrl>/<key>`.
 * Usage is the sum of the objects under the user's prefix. Expired objects
 * are deleted by a lifecycle rule of the bucket (docs/upload.md).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadS3Config } from '@parley/config';
import type { SlotRequest, SlotUrls, StoredFile, UploadBackend } from './backend.js';
import { UploadStorageError, contentDisposition } from './backend.js';
import { keyPath, objectKey } from './names.js';
import { checkS3Config } from './s3-config.js';

/** The longest validity of a SigV4 presigned URL. */
export const MAX_PRESIGN_SECONDS = 7 * 86_400;

export interface S3BackendOptions {
  s3: UploadS3Config;
  /** Files are kept this many days (0 = for ever): the validity of presigned GET URLs, capped at 7 days. */
  expiryDays: number;
}

export class S3Backend implements UploadBackend {
  readonly kind = 's3';
  readonly client: S3Client;
  readonly bucket: string;
  private readonly getSeconds: number;

  constructor(private readonly opts: S3BackendOptions) {
    const { s3 } = opts;
    const { bucket, credentials: creds } = checkS3Config(s3);
    this.bucket = bucket;
    this.client = new S3Client({
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
      ...(creds ? { credentials: creds } : {}),
      // No flexible checksums: a presigned PUT cannot carry the checksum of a body it has not seen.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const days = opts.expiryDays === 0 ? Infinity : opts.expiryDays * 86_400;
    this.getSeconds = Math.min(days, MAX_PRESIGN_SECONDS);
  }

  async slot(req: SlotRequest): Promise<SlotUrls> {
    const Key = objectKey(req.key);
    const expiresIn = Math.max(1, req.putExpires - Math.floor(Date.now() / 1000));
    try {
      const put = await getSignedUrl(
        this.client,
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          ContentType: req.contentType,
          ContentLength: req.size,
        }),
        { expiresIn, signableHeaders: new Set(['content-type', 'content-length']) },
      );
      const base = this.opts.s3.publicBaseUrl;
      const get =
        base !== undefined
          ? `${base.endsWith('/') ? base : `${base}/`}${keyPath(req.key)}`
          : await getSignedUrl(
              this.client,
              new GetObjectCommand({
                Bucket: this.bucket,
                Key,
                ResponseContentDisposition: contentDisposition(req.key.filename, req.contentType),
              }),
              { expiresIn: this.getSeconds },
            );
      return { put, headers: [], get };
    } catch (err) {
      throw new UploadStorageError('cannot presign the slot URLs', { cause: err });
    }
  }

  async files(user: string): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    let token: string | undefined;
    try {
      do {
        const page: ListObjectsV2CommandOutput = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${user}/`,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) {
          const slot = o.Key?.split('/')[1];
          if (slot === undefined) continue;
          out.push({ slot, size: o.Size ?? 0, createdAt: o.LastModified?.getTime() ?? Date.now() });
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (err) {
      throw new UploadStorageError(`cannot list the objects of ${user}`, { cause: err });
    }
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}
