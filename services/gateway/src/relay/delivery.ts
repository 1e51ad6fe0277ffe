/**
 * Messages for this gateway on `xmpp.gw.<gatewayId>`: deliveries to a
 * connection, kicks, and XEP-0198 takeovers and fences. A delivery to a connection that
 * is gone or no longer bound is bounced to the recipient's partition, naming
 * the connection, so the registry re-routes it (never silently dropped): to
 * the session's current connection if it was resumed elsewhere, else as if
 * the session did not exist. A delivery for a detached resumable session is
 * queued for its resumption.
 */
import type { GatewayMessage } from '@parley/routing';
import { SpanKind, getTracer, inSpan } from '@parley/telemetry';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { bounceEnvelope } from './bounce.js';

const tracer = getTracer('parley-gateway');

export function handleGatewayMessage(
  ctx: GatewayContext,
  connections: ReadonlyMap<string, Connection>,
  msg: GatewayMessage,
): void {
  const conn = connections.get(msg.conn);
  if (msg.t === 'deliver') {
    const deliver = (): void => {
      let delivered = false;
      try {
        delivered = conn !== undefined ? conn.deliver(msg.env) : ctx.sm.deliver(msg.conn, msg.env);
      } catch (err) {
        conn?.fail(err);
      }
      if (!delivered) bounceEnvelope(ctx, msg.env, conn?.jid ?? msg.jid, msg.conn);
      else if (msg.env.ts !== undefined) ctx.metrics.routed(msg.env.kind, msg.env.ts);
    };
    if (msg.env.tp === undefined) deliver();
    else
      inSpan(
        tracer,
        `xmpp.c2s.deliver ${msg.env.kind}`,
        {
          parent: msg.env.tp,
          kind: SpanKind.CONSUMER,
          attributes: { 'xmpp.stanza.kind': msg.env.kind },
        },
        deliver,
      );
    return;
  }
  if (msg.t === 'kick') {
    if (conn === undefined) {
      // A detached session replaced by a new bind of its resource: it is over.
      ctx.sm.kickDetached(msg.conn);
      return;
    }
    try {
      conn.closeStream(msg.condition, msg.text);
    } catch (err) {
      conn.fail(err);
    }
    return;
  }
  if (msg.t === 'sm-takeover') {
    ctx.sm.takeover(msg.conn);
    return;
  }
  if (msg.t === 'fence') {
    ctx.sm.fence(msg);
    return;
  }
  ctx.logger.warn('unknown gateway message', { t: (msg as { t?: unknown }).t });
}
