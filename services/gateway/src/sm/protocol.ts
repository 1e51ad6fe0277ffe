/**
 * XEP-0198 elements from the client: <enable/>, <r/>, <a/> once a resource
 * is bound, and <resume/> on a new authenticated stream instead of binding.
 *
 * Both also come inline in SASL2 (XEP-0388): <resume/> inside <authenticate/>
 * (answered inside <success/>), <enable/> inside a Bind2 <bind/> (answered
 * inside <bound/>); `reply` says where an answer goes.
 *
 * Resumption works on any gateway: the state is read from the shared
 * ResumptionStore and claimed atomically; the session registry moves the
 * resource to the new connection (`BindRequest.takeover`); the old holder
 * (this gateway or another, if it is still alive) is told to let go
 * (`sm-takeover`) and closes its stream without unbinding.
 */
import { randomBytes } from 'node:crypto';
import { BusError } from '@parley/bus';
import { bareOf, resourceOf } from '@parley/jid';
import { routeSubject } from '@parley/routing';
import type { BindReply, BindRequest, SessionResumable } from '@parley/routing';
import { NS_SM, NS_STANZAS } from '@parley/stanza';
import type { ResumptionState } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { bounceStanzas } from '../relay/bounce.js';
import { H_MOD, SmSession, absoluteH, parseH } from './session.js';

const SM_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** <failed/> with a stanza error condition, and the inbound count when known. */
export function failed(condition: string, h?: number): string {
  return xml(
    'failed',
    { xmlns: NS_SM, h: h === undefined ? undefined : h % H_MOD },
    xml(condition, { xmlns: NS_STANZAS }),
  ).toString();
}

/** Ends the stream because the client acknowledged more stanzas than it was sent. */
export function handledCountTooHigh(conn: Connection, h: number, sent: number): void {
  conn.closeStream(
    'undefined-condition',
    `you acknowledged ${h} stanzas, but only ${sent % H_MOD} were sent`,
    {
      appCondition: xml('handled-count-too-high', { xmlns: NS_SM, h, 'send-count': sent % H_MOD }),
    },
  );
}

/** SM elements on a bound stream. */
export function handleSmBound(conn: Connection, el: Element): Promise<void> | void {
  const sm = conn.sm;
  switch (el.localName) {
    case 'enable':
      return enable(conn, el);
    case 'r':
      if (sm === undefined) return notEnabled(conn);
      sm.onRequest();
      return;
    case 'a': {
      if (sm === undefined) return notEnabled(conn);
      const h = parseH(el.attr('h'));
      if (h === undefined) {
        conn.closeStream('bad-format', 'an <a/> needs an h attribute (unsignedInt)');
        return;
      }
      if (!sm.onAck(h)) handledCountTooHigh(conn, h, sm.written);
      return;
    }
    case 'resume':
      // Only instead of binding a resource (XEP-0198 section 5).
      conn.sendNonza(failed('unexpected-request'));
      return;
    default:
      conn.closeStream('unsupported-stanza-type');
  }
}

/** SM elements after authentication, before a resource is bound. */
export function handleSmBeforeBind(conn: Connection, el: Element): Promise<void> | void {
  switch (el.localName) {
    case 'resume':
      return resume(conn, el);
    case 'enable':
      // Enabling comes after resource binding (XEP-0198 section 3).
      conn.send(failed('unexpected-request'));
      return;
    default:
      return notEnabled(conn);
  }
}

function notEnabled(conn: Connection): void {
  conn.closeStream('unsupported-stanza-type', 'stream management is not enabled');
}

function enable(conn: Connection, el: Element): Promise<void> | void {
  if (conn.sm !== undefined) {
    conn.sendNonza(failed('unexpected-request'));
    return;
  }
  return enableSession(
    conn,
    el,
    conn.jid!,
    (answer) => conn.send(answer),
    () => conn.state === 'bound' && conn.open,
  );
}

/**
 * Enables stream management for the session `jid` of this connection;
 * `reply` takes the <enabled/> (the stream, or a Bind2 <bound/>), `live`
 * says whether the connection still wants it after the store answered.
 */
export function enableSession(
  conn: Connection,
  el: Element,
  jid: string,
  reply: (answer: string) => void,
  live: () => boolean,
): Promise<void> | void {
  const { ctx } = conn;
  const user = conn.user!;
  let timeoutMs = ctx.config.sm.resumeTimeoutMs;
  const max = el.attr('max');
  if (max !== undefined && /^\d{1,9}$/.test(max) && Number(max) > 0) {
    timeoutMs = Math.min(timeoutMs, Number(max) * 1000);
  }
  const wantsResume = el.attr('resume') === 'true' || el.attr('resume') === '1';
  const start = (id?: string): void => {
    conn.sm = new SmSession(ctx, conn, { ...(id !== undefined && { id }), timeoutMs, jid, user });
    reply(
      xml('enabled', {
        xmlns: NS_SM,
        id,
        resume: id === undefined ? undefined : 'true',
        max: id === undefined ? undefined : Math.max(1, Math.round(timeoutMs / 1000)),
      }).toString(),
    );
  };
  if (!wantsResume) {
    start();
    return;
  }
  // The SM-ID is a random token: it reveals nothing and cannot be guessed.
  const id = randomBytes(18).toString('base64url');
  return ctx.resumption
    .create({
      id,
      jid,
      gw: ctx.gatewayId,
      conn: conn.id,
      expiresAt: Date.now() + ctx.config.sm.resumeTimeoutMs,
    })
    .then(
      (ok) => {
        if (!live()) {
          if (ok) ctx.resumption.delete(id).catch(() => undefined);
          return;
        }
        if (!ok) ctx.logger.warn('SM-ID collision; enabling without resumption', { conn: conn.id });
        start(ok ? id : undefined);
        if (ok) {
          const note: SessionResumable = { t: 'session-resumable', jid, conn: conn.id };
          ctx.publish(routeSubject(user, ctx.config.routing.partitions), note);
        }
      },
      (err: unknown) => {
        ctx.logger.warn('resumption store unavailable; enabling without resumption', {
          conn: conn.id,
          err,
        });
        if (live()) start();
      },
    );
}

/** Where a resumption answer goes: `resumed` is true for <resumed/>, false for <failed/>. */
export type ResumeReply = (answer: string, resumed: boolean) => void;

function resume(conn: Connection, el: Element): Promise<void> | void {
  return resumeWith(conn, el, (answer) => conn.send(answer));
}

/**
 * XEP-0198 resumption instead of binding, on a plain stream or inline in
 * SASL2: `reply` gets <resumed/> (just before the retransmission, so a SASL2
 * <success/> carrying it comes first) or <failed/>.
 */
export function resumeWith(
  conn: Connection,
  el: Element,
  reply: ResumeReply,
): Promise<void> | void {
  const { ctx } = conn;
  if (!ctx.config.sm.enabled) {
    reply(failed('feature-not-implemented'), false);
    return;
  }
  const previd = el.attr('previd');
  const h = parseH(el.attr('h'));
  if (h === undefined) {
    reply(failed('bad-request'), false);
    return;
  }
  if (previd === undefined || !SM_ID.test(previd)) {
    ctx.metrics.resumption('not-found');
    reply(failed('item-not-found'), false);
    return;
  }
  if (!conn.transition('bind-requested')) return;
  return resumeSession(conn, previd, h, reply).catch((err: unknown) => {
    ctx.logger.error('stream resumption failed', { conn: conn.id, err });
    ctx.metrics.resumption('error');
    if (conn.state === 'binding' && conn.transition('bind-failed')) {
      reply(failed('internal-server-error'), false);
    }
  });
}

async function resumeSession(
  conn: Connection,
  previd: string,
  h: number,
  reply: ResumeReply,
): Promise<void> {
  const { ctx } = conn;
  const store = ctx.resumption;
  const user = conn.user!;
  const notFound = (): void => {
    ctx.metrics.resumption('not-found');
    if (conn.state === 'binding' && conn.transition('bind-failed')) {
      reply(failed('item-not-found'), false);
    }
  };

  const before = await store.get(previd);
  // Another account's SM-ID gets the same answer as an unknown one.
  if (before === undefined || bareOf(before.jid) !== user || before.expiresAt <= Date.now()) {
    notFound();
    return;
  }
  if (absoluteH(h, before.acked) > before.outboundSeq) {
    ctx.metrics.resumption('error');
    handledCountTooHigh(conn, h, before.outboundSeq);
    return;
  }
  const timeoutMs = ctx.config.sm.resumeTimeoutMs;
  const now = Date.now();
  const claimed = await store.claim(previd, {
    epoch: before.epoch,
    gw: ctx.gatewayId,
    conn: conn.id,
    now,
    expiresAt: now + timeoutMs,
  });
  if (claimed === undefined) {
    notFound(); // expired, reaped or resumed by someone else in the meantime
    return;
  }
  // `before` names the previous holder (the claim succeeded, so it did not change).
  const previous: Pick<ResumptionState, 'gw' | 'conn' | 'id'> = {
    gw: before.gw,
    conn: before.conn,
    id: previd,
  };
  const resource = resourceOf(claimed.jid);
  const request: BindRequest = {
    t: 'bind',
    jid: user,
    resource,
    gw: ctx.gatewayId,
    conn: conn.id,
    takeover: previous.conn,
  };
  const subject = routeSubject(user, ctx.config.routing.partitions);
  let bindReply: BindReply;
  try {
    bindReply = (await ctx.bus.request(subject, request, {
      timeoutMs: ctx.config.sm.takeoverTimeoutMs,
      durable: true,
    })) as BindReply;
  } catch (err) {
    if (err instanceof BusError && err.code === 'timeout') {
      // No answer is not a refusal: the request waits in the partition's durable stream
      // and the registry will still move the session here. Keep the session and its
      // stored stanzas: a later attempt resumes it, or it ends at its deadline and what it
      // holds is bounced then (SmManager's reaper), never dropped.
      ctx.logger.warn('takeover bind not answered in time; the session stays resumable', {
        conn: conn.id,
        jid: claimed.jid,
      });
      ctx.metrics.resumption('error');
      if (conn.state === 'binding' && conn.transition('bind-failed')) {
        reply(failed('internal-server-error', claimed.inboundH), false);
      }
      return;
    }
    ctx.logger.warn('takeover bind request failed', { conn: conn.id, jid: claimed.jid, err });
    bindReply = { ok: false, condition: 'internal-server-error' };
  }

  if (!bindReply.ok) {
    // The registry no longer has that session: it is over. Bounce what it still held.
    ctx.metrics.resumption('error');
    const gone = await store.delete(previd, claimed.epoch).catch(() => undefined);
    if (gone !== undefined) {
      bounceStanzas(
        ctx,
        gone.outbound.map(([, x]) => x),
        gone.jid,
        previous.conn,
        'unacked',
      );
    }
    ctx.sm.publishUnbind(claimed.jid, user, previous.gw, previous.conn);
    ctx.sm.announceTakeover(previous);
    ctx.logger.info('stream resumption refused by the session registry', {
      conn: conn.id,
      jid: claimed.jid,
      condition: bindReply.condition,
    });
    if (conn.state === 'binding' && conn.transition('bind-failed')) {
      reply(failed('item-not-found', claimed.inboundH), false);
    }
    return;
  }

  const clientH = absoluteH(h, claimed.acked);
  const sm = SmSession.resumed(ctx, conn, claimed, clientH, timeoutMs);
  if (clientH > claimed.acked) {
    store.ack(previd, claimed.epoch, clientH).catch((err: unknown) => {
      ctx.logger.warn('resumption ack failed', { conn: conn.id, err });
    });
  }
  // The old holder lets go; what it could not deliver is bounced to this connection.
  ctx.sm.announceTakeover(previous);
  ctx.metrics.resumption('success');
  if (conn.state !== 'binding') {
    // This connection died while resuming: keep the session for the next attempt.
    ctx.sm.detach(sm);
    return;
  }
  conn.sm = sm;
  reply(xml('resumed', { xmlns: NS_SM, previd, h: claimed.inboundH % H_MOD }).toString(), true);
  const retransmitted = sm.retransmit();
  conn.bound(bindReply.jid);
  ctx.logger.info('stream resumed', {
    conn: conn.id,
    jid: bindReply.jid,
    from: `${previous.gw}/${previous.conn}`,
    retransmitted,
  });
}
