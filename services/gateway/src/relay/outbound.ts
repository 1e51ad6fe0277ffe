/**
 * Stanzas from a bound client (RFC 6120 section 8): stamp 'from' with the
 * full JID, normalize 'to', check IQ basics, serialize once and publish to
 * the sender's partition. IQs to the server that the gateway answers itself
 * (session, a second bind, XEP-0077) never reach the bus.
 */
import { parseJID } from '@parley/jid';
import { routeSubject, versioned } from '@parley/routing';
import type { Envelope, RegistryMessage } from '@parley/routing';
import {
  NS_BIND,
  NS_REGISTER,
  NS_ROSTER,
  NS_SESSION,
  badRequest,
  errorReply,
  iqResult,
  jidMalformed,
  notAllowed,
} from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import { SpanKind, getTracer, inSpan, traceparentOf, tracingActive } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { handleRegistration, isAddressedToServer } from '../registration.js';
import { clientStanzaKind, iqPayload } from '../stanza-kind.js';

const tracer = getTracer('parley-gateway');

const IQ_TYPES: ReadonlySet<string> = new Set(['get', 'set', 'result', 'error']);

export function routeOutbound(
  conn: Connection,
  el: Element,
  routed?: (stored: Promise<void>) => void,
): Promise<void> | void {
  const kind = clientStanzaKind(el);
  if (kind === undefined) {
    conn.closeStream('unsupported-stanza-type');
    return;
  }
  const { ctx } = conn;
  const jid = conn.jid!;
  const user = conn.user!;
  ctx.metrics.stanza('in', kind);

  const from = el.attrs['from'];
  if (from !== undefined && from !== jid && from !== user && !ownAddress(from, jid, user)) {
    conn.closeStream('invalid-from', 'a stanza may only come from your own address');
    return;
  }
  el.attrs['from'] = jid;

  const type = el.attrs['type'] ?? '';
  let to = '';
  const rawTo = el.attrs['to'];
  if (rawTo !== undefined) {
    try {
      to = parseJID(rawTo).toString();
    } catch {
      replyError(conn, el, type, jidMalformed('the to address is not a valid JID'), true);
      return;
    }
    el.attrs['to'] = to;
  }
  if (conn.lang !== undefined && el.attrs['xml:lang'] === undefined) {
    el.attrs['xml:lang'] = conn.lang;
  }

  const id = el.attrs['id'];
  if (kind === 'iq') {
    if (id === undefined || id === '' || !IQ_TYPES.has(type)) {
      replyError(
        conn,
        el,
        type,
        badRequest('an IQ needs an id and a type of get, set, result or error'),
      );
      return;
    }
    if (type === 'get' || type === 'set') {
      const payload = iqPayload(el);
      if (payload === undefined) {
        replyError(
          conn,
          el,
          type,
          badRequest('an IQ get or set carries exactly one payload element'),
        );
        return;
      }
      if (to === '' || isAddressedToServer(conn, el)) {
        const local = answerLocally(conn, el, type, payload);
        if (local !== false) return local === true ? undefined : local;
      }
    }
  }

  if (kind === 'presence' && to === '') notePresence(conn, el, type);
  else if (kind === 'iq' && type === 'get' && iqPayload(el)?.attrs['xmlns'] === NS_ROSTER)
    conn.route.interested = true;

  const env: Envelope = {
    stage: 'out',
    kind,
    type,
    from: jid,
    to,
    xml: el.toString(),
    gw: ctx.gatewayId,
    conn: conn.id,
    ts: performance.timeOrigin + performance.now(),
  };
  if (id !== undefined) env.id = id;
  const msg: RegistryMessage = versioned({ t: 'stanza', env });
  const subject = routeSubject(user, ctx.config.routing.partitions);
  if (!tracingActive()) {
    const stored = ctx.publish(subject, msg);
    if (stored !== undefined) routed?.(stored);
    return;
  }
  // The trace of a stanza starts here and follows its envelope over the bus.
  inSpan(
    tracer,
    `xmpp.c2s.receive ${kind}`,
    { kind: SpanKind.PRODUCER, attributes: { 'xmpp.stanza.kind': kind, 'xmpp.stanza.type': type } },
    () => {
      const tp = traceparentOf();
      if (tp !== undefined) env.tp = tp;
      const stored = ctx.publish(subject, msg);
      if (stored !== undefined) routed?.(stored);
    },
  );
}

/**
 * Keeps what the registry routes by (RFC 6121 broadcast presence and its
 * priority), so the session can be registered again with a partition's new
 * owner (reregister.ts). The registry stays the authority; this is a copy.
 */
function notePresence(conn: Connection, el: Element, type: string): void {
  const route = conn.route;
  if (type === 'unavailable') {
    route.available = false;
    delete route.presence;
  } else if (type === '') {
    route.available = true;
    const p = Number.parseInt((el.getChildText('priority') ?? '0').trim(), 10);
    route.priority = Number.isFinite(p) ? Math.max(-128, Math.min(127, p)) : 0;
    route.presence = el.toString();
  }
}

/** IQs to the server the gateway handles itself; false when the stanza should be routed. */
function answerLocally(
  conn: Connection,
  iq: Element,
  type: string,
  payload: Element,
): Promise<void> | boolean {
  if (type === 'set' && payload.is('session', NS_SESSION)) {
    conn.sendElement(iqResult(iq));
    return true;
  }
  if (type === 'set' && payload.is('bind', NS_BIND)) {
    conn.sendElement(errorReply(iq, notAllowed('a resource is already bound to this stream')));
    return true;
  }
  if (payload.is('query', NS_REGISTER)) return handleRegistration(conn, iq) ?? true;
  return false;
}

function ownAddress(from: string, jid: string, user: string): boolean {
  try {
    const normalized = parseJID(from).toString();
    return normalized === jid || normalized === user;
  } catch {
    return false;
  }
}

/** Writes an error reply to the client, unless the stanza is itself an error (RFC 6120 8.3.1). */
function replyError(
  conn: Connection,
  el: Element,
  type: string,
  err: StanzaError,
  dropFrom = false,
): void {
  if (type === 'error' || (el.name === 'iq' && type === 'result')) return;
  const reply = errorReply(el, err);
  // The bad address cannot be the reply's sender: it comes from the server instead.
  if (dropFrom) delete reply.attrs['from'];
  conn.sendElement(reply);
}
