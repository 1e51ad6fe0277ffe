/**
 * Messages for this gateway on `xmpp.gw.<gatewayId>`: deliveries to a
 * connection and kicks. A delivery to a connection that is gone or no longer
 * bound is bounced to the recipient's partition so the registry re-routes it
 * (never silently dropped).
 */
import { routeSubject } from '@parley/routing';
import type { BounceRequest, Envelope, GatewayMessage } from '@parley/routing';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';

export function handleGatewayMessage(
  ctx: GatewayContext,
  connections: ReadonlyMap<string, Connection>,
  msg: GatewayMessage,
): void {
  const conn = connections.get(msg.conn);
  if (msg.t === 'deliver') {
    let delivered = false;
    try {
      delivered = conn !== undefined && conn.deliver(msg.env);
    } catch (err) {
      conn?.fail(err);
    }
    if (!delivered) bounce(ctx, msg.env, conn?.jid);
    return;
  }
  if (msg.t === 'kick') {
    if (conn === undefined) return;
    try {
      conn.closeStream(msg.condition, msg.text);
    } catch (err) {
      conn.fail(err);
    }
    return;
  }
  ctx.logger.warn('unknown gateway message', { t: (msg as { t?: unknown }).t });
}

function bounce(ctx: GatewayContext, env: Envelope, fullJid: string | undefined): void {
  const to = fullJid ?? env.to;
  const slash = to.indexOf('/');
  const bare = slash === -1 ? to : to.slice(0, slash);
  if (bare === '') {
    ctx.logger.warn('cannot bounce a stanza without a recipient', {
      from: env.from,
      kind: env.kind,
    });
    return;
  }
  const msg: BounceRequest = { t: 'bounce', to, env };
  ctx.publish(routeSubject(bare, ctx.config.routing.partitions), msg);
}
