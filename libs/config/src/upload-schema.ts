/** Schema of the keys in upload-types.ts: the `upload` section (XEP-0363). */
import {
  FieldValueError,
  bool,
  durationMs,
  int,
  list,
  oneOf,
  optionalStr,
  port,
  str,
} from './schema.js';
import type { Field } from './schema.js';
import { fileKey } from './security-schema.js';
import type { SchemaFor } from './types.js';
import type { UploadConfig } from './upload-types.js';

/** An optional absolute http:// or https:// URL. */
function optionalHttpUrl(doc: string): Field<string | undefined> {
  const base = optionalStr({ doc });
  const check = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (!/^https?:\/\/[^/\s]+/.test(value) || !URL.canParse(value))
      throw new FieldValueError(
        `expected an http:// or https:// URL, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  return {
    ...base,
    type: 'URL (optional)',
    fromJson: (v) => check(base.fromJson(v)),
    fromString: (s) => check(base.fromString(s)),
  };
}

/** A browser origin: scheme, host and optional port. */
function origin(): Field<string> {
  const base = str({ default: '', doc: 'origin' });
  const check = (value: string): string => {
    if (!URL.canParse(value) || new URL(value).origin !== value.toLowerCase())
      throw new FieldValueError(
        `expected an origin such as https://chat.example.org, got ${JSON.stringify(value)}`,
      );
    return value;
  };
  return {
    ...base,
    fromJson: (v) => check(base.fromJson(v)),
    fromString: (s) => check(base.fromString(s)),
  };
}

export const uploadSchema: SchemaFor<UploadConfig> = {
  enabled: bool({
    default: false,
    doc: 'Serve XEP-0363 HTTP File Upload on <subdomain>.<domain> for every served domain (docs/upload.md).',
  }),
  subdomain: str({
    default: 'upload',
    doc: 'Subdomain of the upload service: upload.example.org for example.org.',
  }),
  maxFileBytes: int({
    min: 1,
    default: 104_857_600,
    doc: 'Largest file a slot is given for, in bytes (announced as max-file-size); bigger requests are refused with not-acceptable and <file-too-large/>.',
  }),
  quotaBytesPerUser: int({
    min: 0,
    default: 1_073_741_824,
    doc: 'Bytes one user may have stored, counting stored files and slots given but not used yet; past it requests are refused with resource-constraint. 0 = unlimited.',
  }),
  expiryDays: int({
    min: 0,
    max: 36_500,
    default: 30,
    doc: 'Uploaded files are deleted this many days after their upload (the HTTP service purges them; with s3 set a bucket lifecycle rule with the same number of days). 0 = kept for ever.',
  }),
  putValidityMs: durationMs({
    min: 1000,
    max: 86_400_000,
    default: 300_000,
    doc: 'How long a PUT URL may be used after the slot was given (the upload must start within it).',
  }),
  publicUrl: optionalHttpUrl(
    'Base URL of the built-in HTTP service as clients reach it (usually https:// through a reverse proxy), e.g. https://upload.example.org/. Required with storage local, except in the all-in-one server, which derives http://<upload.http.host>:<port>/ when it is unset.',
  ),
  secret: optionalStr({
    doc: 'Secret that signs the PUT URLs (HMAC-SHA256); every registry node and upload service of a cluster needs the same one (prefer secretFile). Unset: a random secret per process, which only the all-in-one server can use.',
  }),
  secretFile: fileKey('the upload signing secret'),
  corsOrigins: list(origin(), {
    default: [],
    doc: 'Browser origins allowed to upload and download through CORS (e.g. https://chat.example.org); empty = any origin (`*`): the URLs themselves are the credentials.',
  }),
  http: {
    host: str({ default: '0.0.0.0', doc: 'Address the upload HTTP service binds to.' }),
    port: port({
      allowZero: true,
      default: 5288,
      doc: 'Port of the upload HTTP service (storage local); 0 picks an ephemeral port (tests).',
    }),
  },
  storage: {
    kind: oneOf(['local', 's3'], {
      default: 'local',
      doc: 'Where files go: `local`, a directory served by the built-in HTTP service (one node, or a volume shared by every registry node and upload service); `s3`, an S3-compatible bucket reached through presigned URLs (clusters).',
    }),
    dir: str({
      default: 'upload',
      doc: 'Directory of the uploaded files (storage local); relative paths are under server.dataDir.',
    }),
    s3: {
      bucket: optionalStr({ doc: 'Bucket of the uploaded files (storage s3; required then).' }),
      region: str({ default: 'us-east-1', doc: 'Region of the bucket.' }),
      endpoint: optionalHttpUrl(
        'Endpoint of an S3-compatible store (MinIO, Ceph RGW, s3rver); unset = AWS S3.',
      ),
      forcePathStyle: bool({
        default: false,
        doc: 'Use path-style URLs (<endpoint>/<bucket>/<key>), which most S3-compatible stores need.',
      }),
      accessKeyId: optionalStr({
        doc: "Access key id; unset: the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, web identity, instance role).",
      }),
      secretAccessKey: optionalStr({
        doc: 'Secret access key of accessKeyId (prefer secretAccessKeyFile).',
      }),
      secretAccessKeyFile: fileKey('the S3 secret access key'),
      publicBaseUrl: optionalHttpUrl(
        'Base URL where the objects are publicly readable (a CDN or a public-read bucket); GET URLs are <publicBaseUrl>/<key>. Unset: presigned GET URLs, valid for expiryDays but at most 7 days (the SigV4 limit).',
      ),
    },
  },
  purgeIntervalMs: durationMs({
    min: 1000,
    default: 3_600_000,
    doc: 'How often the upload HTTP service deletes expired files (storage local).',
  }),
  purgeBatch: int({
    min: 1,
    max: 1_000_000,
    default: 1000,
    doc: 'Most files deleted per purge run; the rest wait for the next one.',
  }),
};
