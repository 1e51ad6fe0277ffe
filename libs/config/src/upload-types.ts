/**
 * XEP-0363 HTTP File Upload: the `upload` section. The session registry's
 * `upload` module hands out slots on upload.<domain>; the files go to the
 * built-in HTTP service (storage `local`) or straight to an S3-compatible
 * store through presigned URLs (storage `s3`). See docs/upload.md.
 */

export interface UploadS3Config {
  bucket?: string;
  region: string;
  /** Endpoint of an S3-compatible store (MinIO, Ceph, s3rver); unset = AWS. */
  endpoint?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most S3-compatible stores need. */
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID, web identity, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  secretAccessKeyFile?: string;
  /** Base URL where objects are publicly readable (a CDN, a public bucket); unset = presigned GET URLs. */
  publicBaseUrl?: string;
}

export interface UploadConfig {
  /** Serve upload.<domain> (XEP-0363) for every served domain. */
  enabled: boolean;
  subdomain: string;
  /** Largest file a slot is given for. */
  maxFileBytes: number;
  /** Bytes a user may have stored (stored files plus granted slots); 0 = unlimited. */
  quotaBytesPerUser: number;
  /** Files are deleted this many days after their upload; 0 = kept. */
  expiryDays: number;
  /** How long a PUT URL may be used after the slot was given. */
  putValidityMs: number;
  /** Base URL clients use for the built-in HTTP service (`local` storage). */
  publicUrl?: string;
  /** Secret signing the PUT URLs; the same on the registry nodes and the upload service. */
  secret?: string;
  secretFile?: string;
  /** Browser origins allowed by CORS; empty = any (`*`). */
  corsOrigins: string[];
  /** The built-in HTTP service (`local` storage). */
  http: {
    host: string;
    /** 0 picks an ephemeral port (tests). */
    port: number;
  };
  storage: {
    kind: 'local' | 's3';
    /** Directory of the files (`local`), relative to server.dataDir unless absolute. */
    dir: string;
    s3: UploadS3Config;
  };
  /** How often the HTTP service deletes expired files, and how many per run. */
  purgeIntervalMs: number;
  purgeBatch: number;
}
