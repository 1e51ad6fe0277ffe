/**
 * The HT ("hashed token") SASL mechanisms of draft-schmaus-kitten-sasl-ht,
 * as XEP-0484 (FAST) uses them: one round trip, no PBKDF2.
 *
 *   client: authcid NUL HMAC-SHA-256(token, "Initiator" || cb-data)
 *   server: success with HMAC-SHA-256(token, "Responder" || cb-data)
 *
 * The HMAC key is the token itself (its UTF-8 bytes, as clients such as
 * xmpp.js use it). `cb-data` is the channel binding of the mechanism's
 * suffix: NONE (none), UNIQ (tls-unique), ENDP (tls-server-end-point),
 * EXPR (tls-exporter). Which tokens a user holds is the caller's business
 * (HtContext.tokens); this file only runs the exchange, comparing in
 * constant time against every candidate so that neither the number of
 * candidates nor which one matched shows in the timing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SaslError } from './errors.js';
import { prepareUsername } from './saslprep.js';
import { failure } from './steps.js';
import type {
  ChannelBindingSource,
  ChannelBindingType,
  SaslFailureCondition,
  SaslStep,
} from './types.js';
import { decodeUtf8 } from './utf8.js';

export type HtMechanism =
  'HT-SHA-256-EXPR' | 'HT-SHA-256-UNIQ' | 'HT-SHA-256-ENDP' | 'HT-SHA-256-NONE';

/** Every HT mechanism, the channel-binding ones first (preferred). */
export const HT_MECHANISMS: readonly HtMechanism[] = [
  'HT-SHA-256-EXPR',
  'HT-SHA-256-UNIQ',
  'HT-SHA-256-ENDP',
  'HT-SHA-256-NONE',
];

const BINDINGS: Record<HtMechanism, ChannelBindingType | undefined> = {
  'HT-SHA-256-EXPR': 'tls-exporter',
  'HT-SHA-256-UNIQ': 'tls-unique',
  'HT-SHA-256-ENDP': 'tls-server-end-point',
  'HT-SHA-256-NONE': undefined,
};

export function isHtMechanism(name: string): name is HtMechanism {
  return (HT_MECHANISMS as readonly string[]).includes(name);
}

/** The channel-binding type an HT mechanism uses (undefined for -NONE). */
export function htBindingType(mechanism: HtMechanism): ChannelBindingType | undefined {
  return BINDINGS[mechanism];
}

/** The HT mechanisms a connection can run: -NONE always, the others when its channel binding provides the type. */
export function offeredHtMechanisms(cb: ChannelBindingSource | undefined): HtMechanism[] {
  return HT_MECHANISMS.filter((m) => {
    const type = BINDINGS[m];
    return type === undefined || (cb !== undefined && cb.types.includes(type));
  });
}

function hmac(token: Buffer, label: 'Initiator' | 'Responder', cb: Buffer): Buffer {
  return createHmac('sha256', token).update(label).update(cb).digest();
}

/** The client's initial response (also what tests and clients send). */
export function htInitialResponse(username: string, token: string, cbData?: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(username, 'utf8'),
    Buffer.from([0]),
    hmac(Buffer.from(token, 'utf8'), 'Initiator', cbData ?? Buffer.alloc(0)),
  ]);
}

/** What the server's success carries; a client checks it to know the server held the token. */
export function htResponderMessage(token: string, cbData?: Buffer): Buffer {
  return hmac(Buffer.from(token, 'utf8'), 'Responder', cbData ?? Buffer.alloc(0));
}

/** A token a user may authenticate with, and what the caller wants back when it matches. */
export interface HtCandidate<R = unknown> {
  token: string;
  ref: R;
  /** The token is known but no longer trusted (expired): a match fails with this condition. */
  refuse?: SaslFailureCondition;
}

export interface HtContext<R = unknown> {
  /** The tokens `username` (SASLprep'ed authcid) may use with this mechanism; [] for unknown users. */
  tokens(username: string): Promise<HtCandidate<R>[]>;
  channelBinding?: ChannelBindingSource;
}

/** One HT exchange (server side): a single initial response, then success or failure. */
export class HtServerMechanism<R = unknown> {
  private done = false;
  /** The candidate that matched, after a success. */
  matched: HtCandidate<R> | undefined;

  constructor(
    readonly name: HtMechanism,
    private readonly ctx: HtContext<R>,
  ) {}

  async start(initial: Buffer | undefined): Promise<SaslStep> {
    if (this.done) throw new SaslError('invalid-state', 'start() called twice');
    this.done = true;
    if (initial === undefined || initial.length === 0) {
      return failure('malformed-request', 'HT needs an initial response');
    }
    const nul = initial.indexOf(0);
    if (nul <= 0 || initial.length - nul - 1 !== 32) {
      return failure('malformed-request', 'expected authcid NUL 32-byte HMAC');
    }
    const authcid = decodeUtf8(initial.subarray(0, nul));
    let username: string;
    try {
      if (authcid === undefined) throw new Error('not UTF-8');
      username = prepareUsername(authcid);
    } catch {
      return failure('malformed-request', 'the authcid is not a valid username');
    }
    const type = BINDINGS[this.name];
    let cb: Buffer = Buffer.alloc(0);
    if (type !== undefined) {
      const data = this.ctx.channelBinding?.get(type);
      if (data === undefined) return failure('not-authorized');
      cb = data;
    }
    const proof = initial.subarray(nul + 1);
    const candidates = await this.ctx.tokens(username);
    let matched: HtCandidate<R> | undefined;
    // Every candidate is checked (and one dummy when there are none): no early exit.
    for (const c of candidates.length > 0 ? candidates : [undefined]) {
      const expected = hmac(Buffer.from(c?.token ?? 'no token', 'utf8'), 'Initiator', cb);
      if (timingSafeEqual(expected, proof) && c !== undefined && matched === undefined) {
        matched = c;
      }
    }
    if (matched === undefined) return failure('not-authorized');
    if (matched.refuse !== undefined) return failure(matched.refuse);
    this.matched = matched;
    return {
      kind: 'success',
      username,
      data: hmac(Buffer.from(matched.token, 'utf8'), 'Responder', cb),
    };
  }

  async step(): Promise<SaslStep> {
    throw new SaslError('invalid-state', 'HT has no second step');
  }
}
