/**
 * SCRAM server (RFC 5802, RFC 7677) with channel binding (RFC 5929, RFC 9266).
 */
import { randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { channelBindingAvailable } from './channel-binding.js';
import type { ScramCredential } from './credentials.js';
import { SaslError } from './errors.js';
import { fakeScramCredential } from './fake-credentials.js';
import type { ServerMechanismOptions } from './options.js';
import { DEFAULT_MAX_MESSAGE_LENGTH } from './options.js';
import { prepareUsername } from './saslprep.js';
import type { ScramHash } from './scram-crypto.js';
import { constantTimeEqual, digest, hashLength, hmac, xor } from './scram-crypto.js';
import type { ClientFirstMessage } from './scram-messages.js';
import { isPrintable, parseClientFinal, parseClientFirst } from './scram-messages.js';
import { challenge, failure } from './steps.js';
import type { Mechanism, SaslContext, SaslStep, ServerMechanism } from './types.js';
import { decodeUtf8 } from './utf8.js';

type State = 'initial' | 'await-client-first' | 'await-client-final' | 'done';

interface ServerKeys {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** What the server remembers between server-first and client-final. */
interface Exchange {
  username: string;
  authzid?: string;
  /** Expected content of the client's c= attribute. */
  channelBinding: Buffer;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  keys: ServerKeys;
  /** False for unknown users: the proof is checked, then rejected regardless. */
  known: boolean;
}

const NONCE_BYTES = 24;
/** CSPRNG output fetched for 128 nonces at a time (randomBytes has a fixed cost per call); each byte is used once. */
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

function defaultNonce(): string {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_BYTES * 128);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString('base64', nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/** Decodes a stored credential; undefined when it is unusable for `hash`. */
function decodeCredential(hash: ScramHash, cred: ScramCredential): ServerKeys | undefined {
  const salt = decodeBase64Strict(cred.salt);
  const storedKey = decodeBase64Strict(cred.storedKey);
  const serverKey = decodeBase64Strict(cred.serverKey);
  const length = hashLength(hash);
  if (!salt || salt.length === 0 || storedKey?.length !== length || serverKey?.length !== length) {
    return undefined;
  }
  if (!Number.isSafeInteger(cred.iterations) || cred.iterations < 1) return undefined;
  return { salt, iterations: cred.iterations, storedKey, serverKey };
}

export class ScramServerMechanism implements ServerMechanism {
  private state: State = 'initial';
  private busy = false;
  private exchange: Exchange | undefined;
  private readonly hash: ScramHash;
  private readonly plus: boolean;

  constructor(
    readonly name: Exclude<Mechanism, 'PLAIN'>,
    private readonly ctx: SaslContext,
    private readonly opts: ServerMechanismOptions = {},
  ) {
    this.hash = name.startsWith('SCRAM-SHA-256') ? 'SHA-256' : 'SHA-1';
    this.plus = name.endsWith('-PLUS');
  }

  async start(initial: Buffer | undefined): Promise<SaslStep> {
    if (this.state !== 'initial') throw new SaslError('invalid-state', 'start() called twice');
    if (this.plus && !channelBindingAvailable(this.ctx.channelBinding)) {
      this.state = 'done';
      return failure('invalid-mechanism', `${this.name} needs channel binding`);
    }
    if (initial === undefined) {
      this.state = 'await-client-first';
      return challenge(Buffer.alloc(0));
    }
    return this.run(() => this.clientFirst(initial));
  }

  async step(response: Buffer): Promise<SaslStep> {
    switch (this.state) {
      case 'await-client-first':
        return this.run(() => this.clientFirst(response));
      case 'await-client-final':
        return this.run(() => this.clientFinal(response));
      default:
        throw new SaslError('invalid-state', `step() called in state ${this.state}`);
    }
  }

  /** Serializes steps and ends the exchange on anything but a challenge. */
  private async run(handler: () => Promise<SaslStep>): Promise<SaslStep> {
    if (this.busy) throw new SaslError('invalid-state', 'step() called while a step is running');
    this.busy = true;
    try {
      const result = await handler();
      if (result.kind !== 'challenge') this.state = 'done';
      return result;
    } catch (err) {
      this.state = 'done';
      if (err instanceof SaslError && err.code === 'malformed-message') {
        return failure('malformed-request', err.message);
      }
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Decodes a client message, or says why it is unacceptable. */
  private text(data: Buffer): string | SaslStep {
    if (data.length > (this.opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH)) {
      return failure('malformed-request', 'message too long');
    }
    return decodeUtf8(data) ?? failure('malformed-request', 'message is not valid UTF-8');
  }

  /** Checks the GS2 header; returns the binding data to expect, or a failure. */
  private bindingData(message: ClientFirstMessage): Buffer | SaslStep {
    const { gs2 } = message;
    const source = this.ctx.channelBinding;
    if (this.plus) {
      if (gs2.flag !== 'p' || gs2.cbName === undefined || source === undefined) {
        return failure('malformed-request', `${this.name} requires channel binding`);
      }
      const type = source.types.find((t) => t === gs2.cbName);
      const data = type === undefined ? undefined : source.get(type);
      if (data === undefined) {
        return failure('not-authorized', `unsupported channel binding type ${gs2.cbName}`);
      }
      return data;
    }
    if (gs2.flag === 'p') {
      return failure('malformed-request', `channel binding needs ${this.name}-PLUS`);
    }
    if (gs2.flag === 'y' && channelBindingAvailable(source)) {
      // The client supports binding and believes we do not: someone removed -PLUS.
      return failure('not-authorized', 'channel binding downgrade detected');
    }
    return Buffer.alloc(0);
  }

  private serverNonce(): string {
    const nonce = (this.opts.nonce ?? defaultNonce)();
    if (!isPrintable(nonce)) {
      throw new SaslError('invalid-argument', 'server nonce must be printable ASCII without ","');
    }
    return nonce;
  }

  private async credentials(
    username: string,
  ): Promise<{ keys: ServerKeys; known: boolean } | SaslStep> {
    let stored;
    try {
      stored = await this.ctx.lookup(username);
    } catch {
      return failure('temporary-auth-failure');
    }
    if (stored !== undefined) {
      const keys = decodeCredential(this.hash, stored[`SCRAM-${this.hash}`]);
      return keys ? { keys, known: true } : failure('temporary-auth-failure');
    }
    const keys = fakeScramCredential(this.hash, username, {
      ...(this.opts.unknownUserSecret && { secret: this.opts.unknownUserSecret }),
      ...(this.opts.unknownUserIterations !== undefined && {
        iterations: this.opts.unknownUserIterations,
      }),
    });
    return { keys, known: false };
  }

  private async clientFirst(data: Buffer): Promise<SaslStep> {
    const text = this.text(data);
    if (typeof text !== 'string') return text;
    const message = parseClientFirst(text);
    const cbData = this.bindingData(message);
    if (!Buffer.isBuffer(cbData)) return cbData;

    let username: string;
    try {
      username = prepareUsername(message.username);
    } catch {
      return failure('malformed-request', 'username fails SASLprep');
    }
    const creds = await this.credentials(username);
    if (!('keys' in creds)) return creds;

    const nonce = message.clientNonce + this.serverNonce();
    const serverFirst = `r=${nonce},s=${creds.keys.salt.toString('base64')},i=${creds.keys.iterations}`;
    this.exchange = {
      username,
      ...(message.gs2.authzid !== undefined && { authzid: message.gs2.authzid }),
      channelBinding: Buffer.concat([Buffer.from(message.gs2.raw, 'utf8'), cbData]),
      clientFirstBare: message.bare,
      serverFirst,
      nonce,
      keys: creds.keys,
      known: creds.known,
    };
    this.state = 'await-client-final';
    return challenge(Buffer.from(serverFirst, 'utf8'));
  }

  private async clientFinal(data: Buffer): Promise<SaslStep> {
    const exchange = this.exchange;
    if (exchange === undefined) throw new SaslError('invalid-state', 'no client-first-message');
    const text = this.text(data);
    if (typeof text !== 'string') return text;
    const message = parseClientFinal(text);

    if (!constantTimeEqual(message.channelBinding, exchange.channelBinding)) {
      return failure('not-authorized', 'channel bindings do not match');
    }
    if (message.nonce !== exchange.nonce) return failure('not-authorized', 'nonce mismatch');
    if (message.proof.length !== hashLength(this.hash)) {
      return failure('malformed-request', 'client proof has the wrong length');
    }

    const { keys } = exchange;
    const authMessage = `${exchange.clientFirstBare},${exchange.serverFirst},${message.withoutProof}`;
    const clientSignature = hmac(this.hash, keys.storedKey, authMessage);
    const clientKey = xor(message.proof, clientSignature);
    const proofMatches = constantTimeEqual(digest(this.hash, clientKey), keys.storedKey);
    const serverSignature = hmac(this.hash, keys.serverKey, authMessage);
    if (!proofMatches || !exchange.known) return failure('not-authorized');

    return {
      kind: 'success',
      username: exchange.username,
      ...(exchange.authzid !== undefined && { authzid: exchange.authzid }),
      data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
    };
  }
}
