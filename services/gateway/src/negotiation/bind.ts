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
  return requestBind(conn, resource).then((reply) => {
    if (reply !== undefined) finish(conn, iq, reply);
  });
}

/**
 * Asks the registry to bind `resource` (or a generated one) to this
 * connection: the state goes to `binding`; the reply is returned while the
 * connection still waits for it (undefined when it went away meanwhile: a
 * bind that succeeded anyway is undone). Shared by the bind IQ and Bind2.
 */
export function requestBind(
  conn: Connection,
  resource: string | undefined,
): Promise<BindReply | undefined> {
  const user = conn.user!;
  const { ctx } = conn;
  const request: BindRequest = { t: 'bind', jid: user, gw: ctx.gatewayId, conn: conn.id };
  if (resource !== undefined) request.resource = resource;
  const subject = routeSubject(user, ctx.config.routing.partitions);
  if (!conn.transition('bind-requested')) return Promise.resolve(undefined);
  return ctx.bus
    .request(subject, request, { timeoutMs: BIND_TIMEOUT_MS, durable: true })
    .then(
      (reply) => reply as BindReply,
      (err: unknown): BindReply => {
        ctx.logger.warn('bind request failed', { conn: conn.id, jid: user, err });
        return { ok: false, condition: 'internal-server-error' };
      },
    )
    .then((reply) => {
      if (conn.state === 'binding') return reply;
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
      return undefined;
    });
}

function finish(conn: Connection, iq: Element, reply: BindReply): void {
  const { ctx } = conn;
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
