import { SaslError } from './errors.js';
import type { ServerMechanismOptions } from './options.js';
import { PlainServerMechanism } from './plain-server.js';
import { ScramServerMechanism } from './scram-server.js';
import type { Mechanism, SaslContext, ServerMechanism } from './types.js';
import { MECHANISMS } from './types.js';

/** Narrows a mechanism name received from a client. */
export function isMechanism(name: string): name is Mechanism {
  return (MECHANISMS as readonly string[]).includes(name);
}

/**
 * Creates the server side of one authentication attempt. Throws
 * SaslError('unknown-mechanism') for names this package does not implement;
 * check client input with {@link isMechanism} and against what was offered.
 */
export function createServerMechanism(
  name: Mechanism,
  ctx: SaslContext,
  opts: ServerMechanismOptions = {},
): ServerMechanism {
  if (!isMechanism(name)) throw new SaslError('unknown-mechanism', `unknown mechanism ${name}`);
  return name === 'PLAIN'
    ? new PlainServerMechanism(ctx, opts)
    : new ScramServerMechanism(name, ctx, opts);
}

export interface OfferOptions {
  /** TLS in use. */
  secure: boolean;
  /** Channel binding data is available (see channelBindingAvailable). */
  channelBinding: boolean;
  /** Offer PLAIN without TLS too. Default false. */
  allowPlainWithoutTls?: boolean;
  /** Offer PLAIN at all. Default true. */
  plain?: boolean;
}

/**
 * Mechanisms to advertise, strongest first: the -PLUS variants only with
 * channel binding, PLAIN only when enabled and on TLS (or explicitly allowed
 * without).
 */
export function offeredMechanisms(opts: OfferOptions): Mechanism[] {
  const offered: Mechanism[] = [];
  if (opts.channelBinding) offered.push('SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS');
  offered.push('SCRAM-SHA-256', 'SCRAM-SHA-1');
  if (opts.plain !== false && (opts.secure || opts.allowPlainWithoutTls === true)) {
    offered.push('PLAIN');
  }
  return offered;
}
