import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/** Hash functions SCRAM is defined for here (RFC 5802, RFC 7677). */
export type ScramHash = 'SHA-1' | 'SHA-256';

const NODE_NAME: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' };
const OUTPUT_LENGTH: Record<ScramHash, number> = { 'SHA-1': 20, 'SHA-256': 32 };

/** Output length of the hash in bytes. */
export function hashLength(hash: ScramHash): number {
  return OUTPUT_LENGTH[hash];
}

export function hmac(hash: ScramHash, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(NODE_NAME[hash], key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(NODE_NAME[hash]).update(data).digest();
}

/** Hi(str, salt, i) of RFC 5802 section 2.2: PBKDF2 with HMAC as the PRF. */
export function hi(
  hash: ScramHash,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, OUTPUT_LENGTH[hash], NODE_NAME[hash], (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Synchronous {@link hi}, for the SCRAM client's synchronous API. */
export function hiSync(
  hash: ScramHash,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  return pbkdf2Sync(password, salt, iterations, OUTPUT_LENGTH[hash], NODE_NAME[hash]);
}

export interface ScramKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** ClientKey, StoredKey and ServerKey from a SaltedPassword (RFC 5802 section 3). */
export function keysFromSaltedPassword(hash: ScramHash, saltedPassword: Buffer): ScramKeys {
  const clientKey = hmac(hash, saltedPassword, 'Client Key');
  return {
    clientKey,
    storedKey: digest(hash, clientKey),
    serverKey: hmac(hash, saltedPassword, 'Server Key'),
  };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** Constant-time equality; buffers of different lengths are unequal. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
