/**
 * Handing stanzas back to the session registry (`BounceRequest`) when this
 * gateway cannot deliver them: the connection is gone, or a session ended
 * with stanzas its client never acknowledged (XEP-0198: treated like
 * stanzas sent to an unavailable resource). The registry re-routes a bounce
 * as if the connection named in it did not exist: to the session's current
 * connection if it moved (stream resumption), to another resource, to
 * offline storage, or back to the sender as an error.
 */
import { bounceOf, envelopeOf } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import { parseXml } from '@parley/xml';
import type { GatewayContext } from '../context.js';

/**
 * - `all`: every stanza (it never reached the client: someone else must get it);
 * - `unacked`: messages and IQ requests only. Presence and IQ results sent to
 *   a session that is over are dropped (RFC 6121: nobody else wants them).
 */
export type BouncePolicy = 'all' | 'unacked';

interface BouncePublisher extends Pick<GatewayContext, 'logger' | 'config'> {
  publish(subject: string, data: unknown): unknown;
}

export function bounceEnvelope(
  ctx: BouncePublisher,
  env: Envelope,
  fullJid: string | undefined,
  conn: string | undefined,
): void {
  const bounce = bounceOf({ env, jid: fullJid, conn }, ctx.config.routing.partitions);
  if (bounce === undefined) {
    ctx.logger.warn('cannot bounce a stanza without a recipient', {
      from: env.from,
      kind: env.kind,
    });
    return;
  }
  ctx.publish(bounce.subject, bounce.msg);
}

/** Bounces serialized stanzas that were meant for the session `fullJid` on connection `conn`. */
export function bounceStanzas(
  ctx: BouncePublisher,
  stanzas: Iterable<string>,
  fullJid: string,
  conn: string,
  policy: BouncePolicy,
): number {
  let n = 0;
  for (const xml of stanzas) {
    const env = parsedEnvelope(xml);
    if (env === undefined) {
      ctx.logger.warn('dropping an unparsable queued stanza', { conn, jid: fullJid });
      continue;
    }
    if (policy === 'unacked' && !worthBouncing(env)) continue;
    bounceEnvelope(ctx, env, fullJid, conn);
    n++;
  }
  return n;
}

function worthBouncing(env: Envelope): boolean {
  if (env.kind === 'message') return true;
  return env.kind === 'iq' && (env.type === 'get' || env.type === 'set');
}

/** The envelope of a queued stanza as it was serialized; undefined when it is not one. */
function parsedEnvelope(xml: string): Envelope | undefined {
  let el;
  try {
    el = parseXml(xml);
  } catch {
    return undefined;
  }
  if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return undefined;
  return envelopeOf(el, 'in', xml);
}
