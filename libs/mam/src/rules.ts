/** What goes into a user archive (XEP-0313 section 7.1.1, XEP-0334 hints). */
import type { JID } from '@parley/jid';
import type { ArchivedMessage } from '@parley/store';
import type { Element } from '@parley/xml';
import { NS_CLIENT, NS_HINTS } from './ns.js';

/** Why a message is not archived; undefined when it is. */
export type NotArchivedReason = 'not-a-message' | 'type' | 'no-body' | 'hint';

/**
 * Whether a message belongs in a user archive by its content: a message of
 * type chat or normal (or without a type) with a <body/> or a <store/> hint
 * (XEP-0334: reactions, chat markers and key transport messages carry no
 * body and ask to be stored), unless it carries a <no-store/> or
 * <no-permanent-store/> hint (a <store/> hint wins over them). Errors,
 * groupchat and headline messages are not archived. Preferences are
 * checked separately (see prefs.ts).
 */
export function notArchivedReason(msg: Element): NotArchivedReason | undefined {
  if (msg.localName !== 'message') return 'not-a-message';
  const type = msg.attr('type') ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return 'type';
  const store = msg.getChild('store', NS_HINTS) !== undefined;
  const body = msg.getChild('body');
  if ((!body || !isClientNs(body.getNS())) && !store) return 'no-body';
  if (
    (msg.getChild('no-store', NS_HINTS) || msg.getChild('no-permanent-store', NS_HINTS)) &&
    !store
  )
    return 'hint';
  return undefined;
}

export function isArchivable(msg: Element): boolean {
  return notArchivedReason(msg) === undefined;
}

/**
 * Cheap pre-check on a serialized message (no parse): false when the
 * message certainly is not archivable (no body and no hint). `type` is the
 * stanza's type attribute ('' when absent).
 */
export function mayBeArchivable(type: string, xml: string): boolean {
  return (
    (type === '' || type === 'chat' || type === 'normal') &&
    (xml.includes('<body') || xml.includes(NS_HINTS))
  );
}

function isClientNs(ns: string | undefined): boolean {
  return ns === undefined || ns === NS_CLIENT || ns === 'jabber:server';
}

/**
 * The archive record of a message: `peer` is the other party (the
 * recipient of an outgoing message, the sender of an incoming one); its
 * bare JID is what the `with` filter matches, its resource what a full-JID
 * `with` matches.
 */
export function archivedMessage(
  id: string,
  ts: number,
  peer: JID,
  message: Element | string,
): ArchivedMessage {
  const entry: ArchivedMessage = {
    id,
    ts,
    with: peer.toBareString(),
    xml: typeof message === 'string' ? message : message.toString(),
  };
  if (peer.resource !== '') entry.withResource = peer.resource;
  return entry;
}
