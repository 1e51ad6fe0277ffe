/**
 * A bounded memory of passwords that PLAIN recently verified, so that a user
 * who logs in again (a reconnect storm after a network blip, a client with
 * several devices) does not cost another PBKDF2: 4096 iterations of
 * HMAC-SHA-256 are about 0.67 ms of CPU, more than everything else a login
 * costs.
 *
 * What is kept, and why it is not a password equivalent
 * ------------------------------------------------------
 * One entry is a 32-byte tag = HMAC-SHA-256(K, username, salt, iterations,
 * StoredKey, password) with K a random key made when the process starts.
 * K is never written anywhere (not to the store, the bus, logs or metrics)
 * and dies with the process. Nothing else is kept: no password, no
 * SaltedPassword, no ClientKey, nothing derived from the password without K.
 *
 * - A tag does not authenticate anyone. PLAIN needs the password; SCRAM needs
 *   a proof made with ClientKey, which cannot be computed from a tag (or from
 *   the tag and K). Knowing every tag gets an attacker no login.
 * - Someone who reads the process's memory gets K and the tags, and could
 *   test password guesses for the accounts in the cache at the cost of one
 *   HMAC per guess instead of one PBKDF2. That attacker already has better:
 *   the same memory holds the plaintext of every PLAIN password the process
 *   receives (the <auth/> payloads), and these very accounts are the ones
 *   that logged in with PLAIN in the last `ttlMs`. Entries expire after
 *   `ttlMs` and at most `maxEntries` are kept, so the cache holds nothing
 *   about accounts that did not log in recently.
 * - Only successes are remembered. A wrong password, or an unknown user
 *   (checked against fake credentials), always runs the full PBKDF2, so a
 *   failure takes as long as before and the timing of failures tells nothing
 *   new. A fast answer only happens for the right password, which the
 *   answer (success) reveals anyway.
 * - A tag covers the salt, the iteration count and the StoredKey, so a
 *   password change (new salt and keys) or a new iteration count makes the
 *   old tags unreachable at once. Account bans and removals are checked
 *   outside SASL, or make the lookup fail (fake credentials: no tag matches).
 * - Lookups go by tag, which an attacker cannot compute without K: the
 *   timing of the map lookup leaks nothing useful.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ScramCredential } from './credentials.js';

export interface VerifiedPasswordsOptions {
  /** Most entries kept; the oldest go first. Default 100,000 (about 10 MiB). */
  maxEntries?: number;
  /** How long a verified password is remembered, ms. Default 10 minutes. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const DEFAULT_VERIFIED_MAX_ENTRIES = 100_000;
export const DEFAULT_VERIFIED_TTL_MS = 10 * 60_000;

export class VerifiedPasswords {
  /** K: random, per process, never exported. */
  readonly #key = randomBytes(32);
  /** tag (base64) -> expiry time; Map order is insertion order, the oldest first. */
  readonly #entries = new Map<string, number>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(opts: VerifiedPasswordsOptions = {}) {
    this.#max = Math.max(0, Math.floor(opts.maxEntries ?? DEFAULT_VERIFIED_MAX_ENTRIES));
    this.#ttl = Math.max(0, opts.ttlMs ?? DEFAULT_VERIFIED_TTL_MS);
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The tag of (username, credential, prepared password). Every field is
   * length-prefixed, so no two different tuples give the same input.
   */
  tag(username: string, cred: ScramCredential, preparedPassword: string): string {
    const h = createHmac('sha256', this.#key);
    for (const field of [
      username,
      cred.salt,
      String(cred.iterations),
      cred.storedKey,
      preparedPassword,
    ]) {
      const bytes = Buffer.from(field, 'utf8');
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(bytes.length);
      h.update(length).update(bytes);
    }
    return h.digest('base64');
  }

  /** True when the tag was remembered and has not expired. */
  has(tag: string): boolean {
    const expires = this.#entries.get(tag);
    if (expires === undefined) return false;
    if (expires > this.#now()) return true;
    this.#entries.delete(tag);
    return false;
  }

  /** Remembers a tag whose password verified; call it for successes only. */
  remember(tag: string): void {
    if (this.#max === 0 || this.#ttl === 0) return;
    this.#entries.delete(tag);
    this.#entries.set(tag, this.#now() + this.#ttl);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
