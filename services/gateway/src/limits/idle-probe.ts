/**
 * The idle probe (`c2s.idleTimeoutMs`, `c2s.idleProbeTimeoutMs`): a bound
 * stream that sent nothing at all (no stanza, ack, ping, whitespace) for
 * `idleTimeoutMs` is asked to answer, with an XEP-0198 ack request when it
 * uses stream management (a client must answer `<r/>` with `<a/>`) and an
 * XEP-0199 ping otherwise. Anything the client sends counts as the answer.
 * If nothing arrives within `idleProbeTimeoutMs` the stream is closed with
 * connection-timeout, as a lost connection: a resumable session detaches
 * and waits for its client (sm.resumeTimeoutMs).
 *
 * Like ejabberd's mod_ping with send_pings and timeout_action kill, but on
 * by default, with an interval longer than mobile clients' own keepalives
 * (Conversations: at most 5 minutes awake, 10 in Android's doze), so a
 * healthy client is never woken by it. docs/security.md, "Idle streams".
 */
import { NS_PING } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { REQUEST } from '../sm/session.js';

const PROBE_ID_PREFIX = 'parley-idle-';
let probes = 0;

/** Called by the sweep once `conn` has read nothing for c2s.idleTimeoutMs. */
export function idleCheck(conn: Connection, now: number): void {
  const grace = conn.ctx.config.c2s.idleProbeTimeoutMs;
  if (conn.state !== 'bound' || grace === 0) {
    closeIdle(conn);
    return;
  }
  // No probe for this quiet spell yet (data read since the last one starts a new spell).
  if (conn.probeSentAt === 0 || conn.probeSentAt <= conn.lastRead) {
    conn.probeSentAt = now;
    sendProbe(conn);
    return;
  }
  if (now - conn.probeSentAt >= grace) closeIdle(conn);
}

function sendProbe(conn: Connection): void {
  const sm = conn.sm;
  if (sm !== undefined) {
    sm.nonza(REQUEST);
    return;
  }
  const id = `${PROBE_ID_PREFIX}${(++probes).toString(36)}`;
  conn.probeId = id;
  conn.sendElement(
    xml(
      'iq',
      { type: 'get', id, from: conn.domain, to: conn.jid! },
      xml('ping', { xmlns: NS_PING }),
    ),
  );
}

function closeIdle(conn: Connection): void {
  conn.closeStream('connection-timeout', 'no data received for too long', { detach: true });
}

/** The client's answer to our ping: consumed here, never routed. */
export function isProbeReply(conn: Connection, el: Element): boolean {
  const id = conn.probeId;
  if (id === undefined || el.name !== 'iq' || el.attrs['id'] !== id) return false;
  const type = el.attrs['type'];
  if (type !== 'result' && type !== 'error') return false;
  conn.probeId = undefined;
  return true;
}
