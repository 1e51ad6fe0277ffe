/** Each top-level element a client sends, to the handler for the connection's state. */
import { NS_BIND, NS_SESSION, iqResult } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Connection } from './connection.js';
import { isProbeReply } from './limits/idle-probe.js';
import { bindResource } from './negotiation/bind.js';
import { isAddressedToServer } from './registration.js';
import { routeOutbound } from './relay/outbound.js';
import { clientStanzaKind, iqPayload } from './stanza-kind.js';

export function handleElement(conn: Connection, el: Element): Promise<void> | void {
  switch (conn.state) {
    case 'negotiating':
      return beforeAuth(conn, el);
    case 'authenticated':
      return beforeBind(conn, el);
    case 'bound':
      return whenBound(conn, el);
    default:
      return;
  }
}

/**
 * The stream modules' elements (STARTTLS, SASL, SASL2) and IQs (XEP-0077
 * account creation); any other stanza is not-authorized.
 */
function beforeAuth(conn: Connection, el: Element): Promise<void> | void {
  const nonza = conn.ctx.streams.nonza('negotiating', el.getNS() ?? '');
  if (nonza !== undefined) return nonza(conn, el);
  const kind = clientStanzaKind(el);
  if (kind === undefined) {
    conn.closeStream('unsupported-stanza-type');
    return;
  }
  if (kind === 'iq' && isAddressedToServer(conn, el)) {
    const ns = iqPayload(el)?.getNS();
    const handler = ns === undefined ? undefined : conn.ctx.streams.preAuthIq(ns);
    if (handler !== undefined) return handler(conn, el);
  }
  conn.closeStream('not-authorized', 'authenticate before sending stanzas');
}

/** Stanzas to route, and the top-level elements of the stream modules (XEP-0198, XEP-0352). */
function whenBound(conn: Connection, el: Element): Promise<void> | void {
  const nonza = conn.ctx.streams.nonza('bound', el.getNS() ?? '');
  if (nonza !== undefined) return nonza(conn, el);
  if (conn.probeId !== undefined && isProbeReply(conn, el)) {
    conn.sm?.handled();
    return;
  }
  const sm = conn.sm;
  if (sm === undefined || clientStanzaKind(el) === undefined) return routeOutbound(conn, el);
  // XEP-0198: a stanza counts as handled once it is processed: answered, or routed and
  // stored by the bus (a gateway that dies before that must not have counted it).
  let stored: Promise<void> | undefined;
  const pending = routeOutbound(conn, el, (p) => (stored = p));
  sm.handled(stored);
  return pending;
}

/**
 * Resource binding and the legacy session IQ; nothing else before a resource
 * is bound (RFC 6120 7.1), except the stream modules' elements (resuming an
 * earlier session, XEP-0198; client state indications, XEP-0352).
 */
function beforeBind(conn: Connection, el: Element): Promise<void> | void {
  const nonza = conn.ctx.streams.nonza('authenticated', el.getNS() ?? '');
  if (nonza !== undefined) return nonza(conn, el);
  const kind = clientStanzaKind(el);
  if (kind === undefined) {
    conn.closeStream('unsupported-stanza-type');
    return;
  }
  if (kind === 'iq' && el.attr('type') === 'set') {
    const payload = iqPayload(el);
    if (payload?.is('bind', NS_BIND)) return bindResource(conn, el, payload);
    if (payload?.is('session', NS_SESSION)) {
      conn.sendElement(iqResult(el));
      return;
    }
  }
  conn.closeStream('not-authorized', 'bind a resource before sending stanzas');
}
