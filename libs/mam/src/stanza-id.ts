/** XEP-0359 <stanza-id/> as XEP-0313 uses it to tell where a message was archived. */
import { tryParseJID } from '@parley/jid';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_SID } from './ns.js';

/** `<stanza-id xmlns='urn:xmpp:sid:0' by=archive id=archive id/>` */
export function stanzaIdElement(by: string, id: string): Element {
  return xml('stanza-id', { xmlns: NS_SID, by, id });
}

/** Whether a `by` attribute names `archive` (compared after normalization). */
function namesArchive(by: string | undefined, archive: string): boolean {
  if (by === undefined) return false;
  if (by === archive) return true;
  return tryParseJID(by)?.toString() === archive;
}

/**
 * Removes every direct <stanza-id/> child claiming to be assigned by
 * `archive` (XEP-0359 section 4: an entity overrides ids in its own name,
 * so nobody else can plant one). Returns how many were removed.
 */
export function stripStanzaIds(msg: Element, archive: string): number {
  let removed = 0;
  for (const el of msg.getChildren('stanza-id', NS_SID)) {
    if (namesArchive(el.attr('by'), archive)) {
      msg.remove(el);
      removed++;
    }
  }
  return removed;
}

/**
 * Replaces any <stanza-id/> by `archive` with a fresh one carrying `id`
 * (at most one per `by`, XEP-0359 section 4). Changes `msg` in place.
 */
export function setStanzaId(msg: Element, archive: string, id: string): Element {
  stripStanzaIds(msg, archive);
  msg.append(stanzaIdElement(archive, id));
  return msg;
}

/** The id of the <stanza-id/> by `archive`, if the message carries one. */
export function getStanzaId(msg: Element, archive: string): string | undefined {
  for (const el of msg.getChildren('stanza-id', NS_SID))
    if (namesArchive(el.attr('by'), archive)) return el.attr('id');
  return undefined;
}
