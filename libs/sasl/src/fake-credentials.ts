import { createHmac, randomBytes } from 'node:crypto';
import type { ScramHash } from './scram-crypto.js';
import { hashLength } from './scram-crypto.js';
import { DEFAULT_ITERATIONS, SALT_LENGTH } from './credentials.js';

/**
 * Stand-in credentials for usernames that do not exist, so that an exchange
 * for an unknown user looks like one for a known user with a wrong password:
 * the same salt comes back for the same username every time, and the work done
 * at the proof step is the same (no PBKDF2 is involved on either path).
 */
export interface FakeScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** Per-process secret, used when no cluster-wide secret is configured. */
const processSecret = randomBytes(32);

function derive(secret: Buffer, label: string, hash: ScramHash, username: string, length: number) {
  return createHmac('sha256', secret)
    .update(`${label}\0${hash}\0${username}`)
    .digest()
    .subarray(0, length);
}

/**
 * Deterministic fake SCRAM credential for `username`: HMAC of a secret and
 * the username. Use the same `secret` on every node of a cluster, otherwise
 * the salt of an unknown user changes with the node that answers.
 */
export function fakeScramCredential(
  hash: ScramHash,
  username: string,
  opts: { secret?: Buffer; iterations?: number } = {},
): FakeScramCredential {
  const secret = opts.secret ?? processSecret;
  const length = hashLength(hash);
  return {
    salt: derive(secret, 'salt', hash, username, SALT_LENGTH),
    iterations: opts.iterations ?? DEFAULT_ITERATIONS,
    storedKey: derive(secret, 'stored-key', hash, username, length),
    serverKey: derive(secret, 'server-key', hash, username, length),
  };
}
