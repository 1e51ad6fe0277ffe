/**
 * A client stanza the bus could not hand to its sender's partition (no
 * session-registry worker confirmed it within the bus's retry budget, e.g.
 * all workers down): the sender gets an error reply instead of silence
 * (RFC 6120 8.3.3.8, internal-server-error, type wait: retry later).
 */
import type { Envelope } from '@parley/routing';
import { StanzaError, canReplyWithError, errorReply } from '@parley/stanza';
import { parseXml, serialize } from '@parley/xml';
import type { Connection } from '../connection.js';

export function answerUnroutable(conn: Connection, env: Envelope): boolean {
  let stanza;
  try {
    stanza = parseXml(env.xml);
  } catch {
    return false;
  }
  if (!canReplyWithError(stanza)) return false;
  const reply = errorReply(
    stanza,
    new StanzaError('internal-server-error', {
      type: 'wait',
      text: 'The server could not route this stanza in time; try again later.',
    }),
  );
  return conn.deliver({
    stage: 'in',
    kind: env.kind,
    type: 'error',
    ...(env.id !== undefined ? { id: env.id } : {}),
    from: reply.attr('from') ?? '',
    to: reply.attr('to') ?? '',
    xml: serialize(reply),
  });
}
