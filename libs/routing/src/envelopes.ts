/**
 * Building what travels: the envelope of a stanza, and the bounce that
 * hands an undelivered delivery back to its recipient's partition.
 */
import { bareOf } from '@parley/jid';
import type { Element } from '@parley/xml';
import type { BounceRequest, Envelope, Stage, StanzaKind } from './envelope.js';
import { routeSubject } from './subjects.js';

/**
 * The envelope of a stanza element (`<message/>`, `<presence/>` or `<iq/>`)
 * whose `from` and `to` are already set: its routing metadata read from the
 * element, and `xml`, the element serialized (or `xml` when the caller has
 * the serialized form already, e.g. as received).
 */
export function envelopeOf(el: Element, stage: Stage, xml: string = el.toString()): Envelope {
  const env: Envelope = {
    stage,
    kind: el.name as StanzaKind,
    type: el.attr('type') ?? '',
    from: el.attr('from') ?? '',
    to: el.attr('to') ?? '',
    xml,
  };
  const id = el.attr('id');
  if (id !== undefined) env.id = id;
  return env;
}

/** A delivery that could not be handed to its session. */
export interface Undelivered {
  env: Envelope;
  /** Full JID of the session it was for; default: the envelope's `to`. */
  jid?: string;
  /** The connection that could not take it. */
  conn?: string;
  /** Drained from the subject of a gateway that died (see BounceRequest). */
  drained?: boolean;
}

/**
 * The bounce of an undelivered delivery and the subject it goes to (the
 * partition of the recipient's bare JID, which routes it again as if that
 * connection did not exist); undefined when it names no recipient.
 */
export function bounceOf(
  d: Undelivered,
  partitions: number,
): { subject: string; msg: BounceRequest } | undefined {
  const to = d.jid ?? d.env.to;
  const bare = bareOf(to);
  if (bare === '') return undefined;
  const msg: BounceRequest = { t: 'bounce', to, env: d.env };
  if (d.conn !== undefined) msg.conn = d.conn;
  if (d.drained === true) msg.drained = true;
  return { subject: routeSubject(bare, partitions), msg };
}
