/**
 * Resource binding (RFC 6120 section 7). The gateway normalizes the
 * requested resource; the session registry owning the account's partition
 * decides (conflicts, limits, generated resources) and answers over the bus.
 */
import { normalizeResourcepart } from '@parley/jid';
import { routeSubject } from '@parley/routing';
import type { BindReply, BindRequest, UnbindRequest } from '@parley/routing';
import { NS_BIND, StanzaError, badRequest, errorReply, iqResult } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';

/** How long to wait for the registry's answer. */
export const BIND_TIMEOUT_MS = 10_000;

export function bindResource(conn: Connection, iq: Element, bind: Element): Promise<void> | void {
  if (!iq.attr('id')) {
    conn.sendElement(errorReply(iq, badRequest('an IQ needs an id')));
    return;
  }
  let resource: string | undefined;
  const requested = bind.getChild('resource')?.text();
  if (requested !== undefined && requested !== '') {
    try {
      resource = normalizeResourcepart(requested);
    } catch {
      conn.sendElement(errorReply(iq, badRequest('the resource is not a valid resourcepart')));
      return;
    }
  }
  const user = conn.user!;
  const { ctx } = conn;
  const request: BindRequest = { t: 'bind', jid: user, gw: ctx.gatewayId, conn: conn.id };
  if (resource !== undefined) request.resource = resource;
  const subject = routeSubject(user, ctx.config.routing.partitions);
  if (!conn.transition('bind-requested')) return;
  return ctx.bus.request(subject, request, { timeoutMs: BIND_TIMEOUT_MS, durable: true }).then(
    (reply) => finish(conn, iq, subject, reply as BindReply),
    (err: unknown) => {
      ctx.logger.warn('bind request failed', { conn: conn.id, jid: user, err });
      finish(conn, iq, subject, { ok: false, condition: 'internal-server-error' });
    },
  );
}

function finish(conn: Connection, iq: Element, subject: string, reply: BindReply): void {
  const { ctx } = conn;
  if (conn.state !== 'binding') {
    // The connection went away while the registry was binding it: undo.
    if (reply.ok) {
      const unbind: UnbindRequest = {
        t: 'unbind',
        jid: reply.jid,
        gw: ctx.gatewayId,
        conn: conn.id,
      };
      ctx.publish(subject, unbind);
    }
    return;
  }
  if (!reply.ok) {
    if (!conn.transition('bind-failed')) return;
    const err = new StanzaError(
      reply.condition,
      reply.text === undefined ? {} : { text: reply.text },
    );
    conn.sendElement(errorReply(iq, err));
    return;
  }
  conn.sendElement(iqResult(iq, xml('bind', { xmlns: NS_BIND }, xml('jid', null, reply.jid))));
  conn.bound(reply.jid);
  ctx.logger.info('resource bound', { conn: conn.id, jid: reply.jid });
}
