/**
 * What a slot is made of: the file name and content type a client asks
 * for, checked; a random slot id; and the object key every backend stores
 * the file under, `<user>/<slot>/<filename>`, where `<user>` is a keyed
 * hash of the uploader's bare JID (see userKey in signing.ts): files of one
 * user share a prefix, which is how quota is computed from storage, and the
 * URL does not tell who uploaded.
 */
import { randomBytes } from 'node:crypto';

/** Longest file name accepted, in UTF-8 bytes (a common file system limit). */
export const MAX_FILENAME_BYTES = 255;

/** Content type assumed when a request names none (XEP-0363 section 5). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

// RFC 9110 token characters.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`,
);

/**
 * Why a file name is refused, or undefined when it is fine: it must be a
 * single path segment (no `/` or `\`, not `.` or `..`), without control
 * characters, at most 255 UTF-8 bytes.
 */
export function filenameProblem(name: string): string | undefined {
  if (name === '') return 'the file name is empty';
  if (name === '.' || name === '..') return 'the file name is a relative path';
  if (/[/\\]/.test(name)) return 'the file name contains a path separator';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the file name contains control characters';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES)
    return `the file name is longer than ${MAX_FILENAME_BYTES} bytes`;
  return undefined;
}

/** A content type as a client may send it (`type/subtype[; param=value]`), lower-cased type; undefined if malformed. */
export function normalizeContentType(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return DEFAULT_CONTENT_TYPE;
  const v = value.trim();
  if (!MEDIA_TYPE.test(v)) return undefined;
  const semi = v.indexOf(';');
  return semi < 0 ? v.toLowerCase() : v.slice(0, semi).toLowerCase() + v.slice(semi);
}

/** A new slot id: 128 random bits, URL-safe. */
export function newSlotId(): string {
  return randomBytes(16).toString('base64url');
}

const SEGMENT = /^[A-Za-z0-9_-]{16,64}$/;

/** The parts of an object key. */
export interface ObjectKey {
  user: string;
  slot: string;
  filename: string;
}

export function objectKey(k: ObjectKey): string {
  return `${k.user}/${k.slot}/${k.filename}`;
}

/** The URL path of an object key below a base URL: each part percent-encoded. */
export function keyPath(k: ObjectKey): string {
  return [k.user, k.slot, k.filename].map(encodeURIComponent).join('/');
}

/**
 * The object key at the end of a URL path (`…/<user>/<slot>/<filename>`,
 * percent-encoded), whatever prefix a reverse proxy adds; undefined when
 * the path cannot be one.
 */
export function parseKeyPath(path: string): ObjectKey | undefined {
  const q = path.indexOf('?');
  const parts = (q < 0 ? path : path.slice(0, q)).split('/');
  if (parts.length < 3) return undefined;
  const [user, slot, raw] = parts.slice(-3) as [string, string, string];
  if (!SEGMENT.test(user) || !SEGMENT.test(slot)) return undefined;
  let filename: string;
  try {
    filename = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (filenameProblem(filename) !== undefined) return undefined;
  return { user, slot, filename };
}
