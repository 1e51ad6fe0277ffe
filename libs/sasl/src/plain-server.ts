/**
 * PLAIN server (RFC 4616): message = [authzid] NUL authcid NUL passwd.
 */
import type { StoredCredentials } from './credentials.js';
import { verifyPassword } from './credentials.js';
import { SaslError } from './errors.js';
import { fakeScramCredential } from './fake-credentials.js';
import type { ServerMechanismOptions } from './options.js';
import { DEFAULT_MAX_MESSAGE_LENGTH } from './options.js';
import { prepareUsername } from './saslprep.js';
import { challenge, failure } from './steps.js';
import type { SaslContext, SaslStep, ServerMechanism } from './types.js';
import { decodeUtf8 } from './utf8.js';

/** Credentials that cost as much to check as real ones and never match. */
function fakeStoredCredentials(username: string, opts: ServerMechanismOptions): StoredCredentials {
  const encode = (hash: 'SHA-1' | 'SHA-256') => {
    const fake = fakeScramCredential(hash, username, {
      ...(opts.unknownUserSecret && { secret: opts.unknownUserSecret }),
      ...(opts.unknownUserIterations !== undefined && { iterations: opts.unknownUserIterations }),
    });
    return {
      salt: fake.salt.toString('base64'),
      iterations: fake.iterations,
      storedKey: fake.storedKey.toString('base64'),
      serverKey: fake.serverKey.toString('base64'),
    };
  };
  return { 'SCRAM-SHA-1': encode('SHA-1'), 'SCRAM-SHA-256': encode('SHA-256') };
}

export class PlainServerMechanism implements ServerMechanism {
  readonly name = 'PLAIN';
  private state: 'initial' | 'await-response' | 'busy' | 'done' = 'initial';

  constructor(
    private readonly ctx: SaslContext,
    private readonly opts: ServerMechanismOptions = {},
  ) {}

  async start(initial: Buffer | undefined): Promise<SaslStep> {
    if (this.state !== 'initial') throw new SaslError('invalid-state', 'start() called twice');
    if (!this.ctx.secure && !this.opts.allowPlainWithoutTls) {
      this.state = 'done';
      return failure('encryption-required');
    }
    if (initial === undefined) {
      this.state = 'await-response';
      return challenge(Buffer.alloc(0));
    }
    return this.authenticate(initial);
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (this.state !== 'await-response') {
      throw new SaslError('invalid-state', `step() called in state ${this.state}`);
    }
    return this.authenticate(response);
  }

  private async authenticate(data: Buffer): Promise<SaslStep> {
    this.state = 'busy';
    try {
      return await this.check(data);
    } finally {
      this.state = 'done';
    }
  }

  private async check(data: Buffer): Promise<SaslStep> {
    if (data.length > (this.opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH)) {
      return failure('malformed-request', 'message too long');
    }
    const text = decodeUtf8(data);
    if (text === undefined) return failure('malformed-request', 'message is not valid UTF-8');
    const parts = text.split('\0');
    const [authzid, authcid, password] = parts;
    if (parts.length !== 3 || !authcid || !password || authzid === undefined) {
      return failure('malformed-request', 'expected authzid NUL authcid NUL passwd');
    }
    let username: string;
    try {
      username = prepareUsername(authcid);
    } catch {
      return failure('malformed-request', 'username fails SASLprep');
    }
    let stored: StoredCredentials | undefined;
    try {
      stored = await this.ctx.lookup(username);
    } catch {
      return failure('temporary-auth-failure');
    }
    const known = stored !== undefined;
    // Only real credentials go through the cache of verified passwords.
    const cache = known ? this.opts.verifiedPasswords : undefined;
    const matches = await verifyPassword(
      stored ?? fakeStoredCredentials(username, this.opts),
      password,
      cache === undefined ? {} : { cache, username },
    );
    if (!matches || !known) return failure('not-authorized');
    return authzid === '' ? { kind: 'success', username } : { kind: 'success', username, authzid };
  }
}
