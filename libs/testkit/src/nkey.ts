/**
 * NATS NKeys for tests, without a client library: an Ed25519 key pair
 * encoded as nkeys does (a prefix byte naming the role, the key, a CRC-16
 * XMODEM checksum, RFC 4648 base32 without padding). The public key (`U...`)
 * goes into the server's configuration, the seed (`SU...`) to the client.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface NkeyPair {
  /** Public key of a user, 56 characters starting with `U`. */
  publicKey: string;
  /** Seed of the user, 58 characters starting with `SU`. */
  seed: string;
}

const PREFIX_SEED = 18 << 3;
const PREFIX_USER = 20 << 3;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0), as nkeys checksums. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** RFC 4648 base32, upper case, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function withChecksum(bytes: number[]): string {
  const crc = crc16(Uint8Array.from(bytes));
  return base32(Uint8Array.from([...bytes, crc & 0xff, crc >> 8]));
}

const PREFIXES = { operator: 14 << 3, account: 0, user: PREFIX_USER } as const;

export type NkeyRole = keyof typeof PREFIXES;

/** A key pair with the node:crypto private key, to sign JWTs with. */
export interface SigningNkey extends NkeyPair {
  readonly privateKey: KeyObject;
}

/** A fresh NKey of `role`: public key `O...`, `A...` or `U...`, seed `SO...`, `SA...`, `SU...`. */
export function createNkey(role: NkeyRole): SigningNkey {
  const prefix = PREFIXES[role];
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    publicKey: withChecksum([prefix, ...x]),
    seed: withChecksum([PREFIX_SEED | (prefix >> 5), (prefix & 31) << 3, ...d]),
    privateKey,
  };
}

/** A fresh NKey user. */
export function createNkeyUser(): NkeyPair {
  const { publicKey, seed } = createNkey('user');
  return { publicKey, seed };
}
