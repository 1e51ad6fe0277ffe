/** Which SASL mechanisms a connection is offered, in the configured order of preference. */
import { offeredHtMechanisms, offeredMechanisms as saslOffered } from '@parley/sasl';
import type { ChannelBindingSource, HtMechanism, Mechanism } from '@parley/sasl';
import type { Connection } from '../connection.js';

export function offeredMechanisms(
  conn: Connection,
  cb: ChannelBindingSource | undefined,
): Mechanism[] {
  const { c2s, sasl } = conn.ctx.config;
  if (!conn.secure && c2s.requireTls) return [];
  const possible = new Set<string>(
    saslOffered({
      secure: conn.secure,
      channelBinding: cb !== undefined,
      allowPlainWithoutTls: c2s.allowPlainWithoutTls,
      plain: sasl.mechanisms.includes('PLAIN'),
    }),
  );
  return sasl.mechanisms.filter((m): m is Mechanism => possible.has(m));
}

/**
 * The XEP-0484 FAST mechanisms a connection is offered: HT-SHA-256-NONE and
 * the channel-binding variants its TLS provides; none without TLS (a token
 * sent in the clear could be replayed) or with FAST or SASL2 switched off.
 */
export function offeredFastMechanisms(
  conn: Connection,
  cb: ChannelBindingSource | undefined,
): HtMechanism[] {
  const { c2s } = conn.ctx.config;
  if (!conn.secure || !c2s.sasl2.enabled || !c2s.fast.enabled) return [];
  return offeredHtMechanisms(cb);
}
