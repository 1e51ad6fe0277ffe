/** Which SASL mechanisms a connection is offered, in the configured order of preference. */
import { offeredMechanisms as saslOffered } from '@parley/sasl';
import type { ChannelBindingSource, Mechanism } from '@parley/sasl';
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
