/**
 * The storage contract of the upload module: one implementation per
 * storage kind (local-backend.ts, s3-backend.ts). A backend makes the URLs
 * of a slot and lists a user's stored files, from which the quota is
 * computed: storage is the one source of truth, so every registry node
 * sees the same usage without a store of its own.
 */
import type { ObjectKey } from './names.js';

export interface SlotRequest {
  key: ObjectKey;
  size: number;
  contentType: string;
  /** Seconds since the epoch after which the PUT URL is refused. */
  putExpires: number;
}

export interface SlotUrls {
  put: string;
  /** Headers the client must send with the PUT (XEP-0363 allows Authorization, Cookie, Expires). */
  headers: { name: string; value: string }[];
  get: string;
}

export interface StoredFile {
  /** The slot id. */
  slot: string;
  size: number;
  /** When the upload finished (ms since the epoch). */
  createdAt: number;
}

export interface UploadBackend {
  readonly kind: 'local' | 's3';
  slot(req: SlotRequest): Promise<SlotUrls>;
  /** The files `user` (a userKey) has stored. */
  files(user: string): Promise<StoredFile[]>;
  close(): void;
}

/** A storage operation failed (I/O, the S3 service); `cause` is the original error. */
export class UploadStorageError extends Error {
  override readonly name = 'UploadStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Content-Disposition of a download: media inline, anything else (HTML, scripts) as an attachment. */
export function contentDisposition(filename: string, contentType: string): string {
  const inline = /^(image|audio|video)\//i.test(contentType) && !/^image\/svg/i.test(contentType);
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
