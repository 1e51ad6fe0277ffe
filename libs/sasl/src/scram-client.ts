/**
 * SCRAM client (RFC 5802, RFC 7677), for the load generator and tests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SaslError } from './errors.js';
import { preparePassword, prepareUsername } from './saslprep.js';
import type { ScramHash } from './scram-crypto.js';
import {
  constantTimeEqual,
  hi,
  hiSync,
  hmac,
  keysFromSaltedPassword,
  xor,
} from './scram-crypto.js';
import type { ServerFirstMessage } from './scram-messages.js';
import {
  encodeSaslname,
  isPrintable,
  parseServerFinal,
  parseServerFirst,
} from './scram-messages.js';
import type { ChannelBindingType } from './types.js';
import { decodeUtf8 } from './utf8.js';

/**
 * Cache of SaltedPassword values, keyed by an opaque digest of hash,
 * password, salt and iteration count. A `Map<string, Buffer>` fits.
 */
export interface SaltedPasswordCache {
  get(key: string): Buffer | undefined;
  set(key: string, value: Buffer): unknown;
}

export interface ScramClientOptions {
  /** Client nonce (printable ASCII without ','); default 18 random bytes, base64. */
  nonce?: string;
  /** Authorization identity to request (sent as a=). */
  authzid?: string;
  /** Shares SaltedPassword computations between clients (PBKDF2 is the slow part). */
  cache?: SaltedPasswordCache;
  /**
   * Without `cb`: whether this client supports channel binding. When true the
   * GS2 flag is 'y' (the client believes the server has no -PLUS mechanism),
   * else 'n'.
   */
  supportsChannelBinding?: boolean;
  /** Smallest iteration count accepted from the server; default 4096 (RFC 7677 section 4). */
  minIterations?: number;
}

interface Pending {
  clientFirstBare: string;
  serverFirst: ServerFirstMessage;
  withoutProof: string;
  serverFirstText: string;
}

export class ScramClient {
  private readonly username: string;
  private readonly password: string;
  private readonly clientNonce: string;
  private readonly gs2Header: string;
  private clientFirstBare: string | undefined;
  private expectedServerSignature: Buffer | undefined;
  private lastServerError: string | undefined;

  /**
   * Throws SaslError('invalid-username' | 'invalid-password') when the
   * username or password fails SASLprep, SaslError('invalid-argument') for a
   * nonce with characters SCRAM does not allow.
   */
  constructor(
    readonly hash: ScramHash,
    username: string,
    password: string,
    private readonly cb?: { type: ChannelBindingType; data: Buffer },
    private readonly opts: ScramClientOptions = {},
  ) {
    this.username = prepareUsername(username);
    this.password = preparePassword(password, false);
    this.clientNonce = opts.nonce ?? randomBytes(18).toString('base64');
    if (!isPrintable(this.clientNonce)) {
      throw new SaslError('invalid-argument', 'nonce must be printable ASCII without ","');
    }
    const flag = cb ? `p=${cb.type}` : opts.supportsChannelBinding ? 'y' : 'n';
    const authzid = opts.authzid === undefined ? '' : `a=${encodeSaslname(opts.authzid)}`;
    this.gs2Header = `${flag},${authzid},`;
  }

  /** The mechanism name this client speaks, e.g. 'SCRAM-SHA-256-PLUS'. */
  get mechanism(): string {
    return `SCRAM-${this.hash}${this.cb ? '-PLUS' : ''}`;
  }

  /** The server-error value (e=) of the server-final-message, after `verify`. */
  get serverError(): string | undefined {
    return this.lastServerError;
  }

  /** client-first-message. */
  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslname(this.username)},r=${this.clientNonce}`;
    return Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8');
  }

  /**
   * client-final-message for the server-first-message. Runs PBKDF2
   * synchronously unless the cache has the result; see {@link finalAsync}.
   * Throws SaslError('invalid-server-message' | 'iteration-count-too-low').
   */
  final(serverFirst: Buffer): Buffer {
    const pending = this.prepareFinal(serverFirst);
    const { salt, iterations } = pending.serverFirst;
    const salted = this.cached(salt, iterations, () =>
      hiSync(this.hash, this.password, salt, iterations),
    );
    return this.finish(pending, salted);
  }

  /** {@link final} with PBKDF2 off the event loop thread. */
  async finalAsync(serverFirst: Buffer): Promise<Buffer> {
    const pending = this.prepareFinal(serverFirst);
    const { salt, iterations } = pending.serverFirst;
    const key = this.cacheKey(salt, iterations);
    let salted = this.opts.cache?.get(key);
    if (salted === undefined) {
      salted = await hi(this.hash, this.password, salt, iterations);
      this.opts.cache?.set(key, salted);
    }
    return this.finish(pending, salted);
  }

  /**
   * Checks the server-final-message (the additional data of `<success/>`).
   * True only when it carries the expected server signature.
   */
  verify(serverFinal: Buffer): boolean {
    if (this.expectedServerSignature === undefined) {
      throw new SaslError('invalid-state', 'verify() called before final()');
    }
    const text = decodeUtf8(serverFinal);
    if (text === undefined) return false;
    let message;
    try {
      message = parseServerFinal(text);
    } catch {
      return false;
    }
    if ('error' in message) {
      this.lastServerError = message.error;
      return false;
    }
    return constantTimeEqual(message.verifier, this.expectedServerSignature);
  }

  private prepareFinal(serverFirst: Buffer): Pending {
    if (this.clientFirstBare === undefined) {
      throw new SaslError('invalid-state', 'final() called before first()');
    }
    const text = decodeUtf8(serverFirst);
    if (text === undefined) throw invalidServerMessage('server-first-message is not UTF-8');
    let parsed: ServerFirstMessage;
    try {
      parsed = parseServerFirst(text);
    } catch (err) {
      throw invalidServerMessage('malformed server-first-message', err);
    }
    if (!parsed.nonce.startsWith(this.clientNonce) || parsed.nonce === this.clientNonce) {
      throw invalidServerMessage('server nonce does not extend the client nonce');
    }
    const min = this.opts.minIterations ?? 4096;
    if (parsed.iterations < min) {
      throw new SaslError(
        'iteration-count-too-low',
        `server asks for ${parsed.iterations} iterations, at least ${min} required`,
      );
    }
    const cbInput = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.cb?.data ?? Buffer.alloc(0),
    ]);
    const withoutProof = `c=${cbInput.toString('base64')},r=${parsed.nonce}`;
    return {
      clientFirstBare: this.clientFirstBare,
      serverFirst: parsed,
      withoutProof,
      serverFirstText: text,
    };
  }

  private finish(pending: Pending, saltedPassword: Buffer): Buffer {
    const authMessage = `${pending.clientFirstBare},${pending.serverFirstText},${pending.withoutProof}`;
    const { clientKey, storedKey, serverKey } = keysFromSaltedPassword(this.hash, saltedPassword);
    const proof = xor(clientKey, hmac(this.hash, storedKey, authMessage));
    this.expectedServerSignature = hmac(this.hash, serverKey, authMessage);
    return Buffer.from(`${pending.withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private cacheKey(salt: Buffer, iterations: number): string {
    return createHash('sha256')
      .update(`${this.hash}\0${iterations}\0${salt.toString('base64')}\0`)
      .update(this.password, 'utf8')
      .digest('base64');
  }

  private cached(salt: Buffer, iterations: number, compute: () => Buffer): Buffer {
    const key = this.cacheKey(salt, iterations);
    let salted = this.opts.cache?.get(key);
    if (salted === undefined) {
      salted = compute();
      this.opts.cache?.set(key, salted);
    }
    return salted;
  }
}

function invalidServerMessage(message: string, cause?: unknown): SaslError {
  return new SaslError(
    'invalid-server-message',
    message,
    cause === undefined ? undefined : { cause },
  );
}
