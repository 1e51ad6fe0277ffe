/** XEP-0359 <stanza-id/> as XEP-0313 uses it to tell where a message was archived. */
import { tryParseJID } from '@parley/jid';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_SID } from './ns.js';

/** `<stanza-id xmlns='urn:xmpp:sid:0' by=archive id=archive id/>` */
export function stanzaIdElement(by: string, id: string): Element {
  return xml('stanza-id', { xmlns: NS_SID, by, id });
}

/** Whether a `by` attribute names exactly `archive` (compared after normalization). */
function namesArchive(by: string | undefined, archive: string): boolean {
  if (by === undefined) return false;
  if (by === archive) return true;
  return tryParseJID(by)?.toString() === normalized(archive);
}

/** `archive` as a normalized JID string (it usually is one already). */
function normalized(archive: string): string {
  return tryParseJID(archive)?.toString() ?? archive;
}

/**
 * Whether a `by` attribute may claim `archive`, so that a stanza-id
 * carrying it must not reach anyone: the JIDs are compared after parsing
 * and normalizing (RFC 7622: case, width, a trailing dot on the domain),
 * a resource on the archive's JID counts as the archive (the archive never
 * uses one, and a client comparing bare JIDs would take it for its own),
 * and a `by` that is missing or is not a JID at all counts too: no
 * conforming entity assigns one (XEP-0359 requires the assigner's JID),
 * so it is not a real id of anybody's, and a lenient client could still
 * read it as its archive's (`juliet@capulet.lit/`). Other entities' ids
 * (another account, a room, the server's domain) are kept.
 */
function claimsArchive(by: string | undefined, archive: string): boolean {
  if (by === undefined || by === archive) return true;
  const jid = tryParseJID(by);
  if (jid === undefined) return true;
  return jid.toBareString() === normalized(archive);
}

/**
 * Removes every direct <stanza-id/> child claiming to be assigned by
 * `archive` (XEP-0359 section 4: an entity overrides ids in its own name,
 * so nobody else can plant one); see claimsArchive for what counts as a
 * claim. Returns how many were removed.
 */
export function stripStanzaIds(msg: Element, archive: string): number {
  let removed = 0;
  for (const el of msg.getChildren('stanza-id', NS_SID)) {
    if (claimsArchive(el.attr('by'), archive)) {
      msg.remove(el);
      removed++;
    }
  }
  return removed;
}

/** One attribute of a start tag, either quote (values may hold `>`). */
const ATTR = /\s*([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/**
 * The `by` of the tag whose name ends at `from` in serialized XML; null
 * when it has none or the tag cannot be read by this simple scanner.
 */
function byOfTag(xml: string, from: number): string | null {
  let by: string | null = null;
  let i = from;
  for (;;) {
    ATTR.lastIndex = i;
    const m = ATTR.exec(xml);
    if (m === null) break;
    if (m[1] === 'by') by = m[2] ?? m[3] ?? '';
    i = ATTR.lastIndex;
  }
  const rest = xml.slice(i, i + 3).trimStart();
  return rest.startsWith('/>') || rest.startsWith('>') ? by : null;
}

/**
 * Whether a serialized stanza may carry a <stanza-id/> that
 * stripStanzaIds(…, archive) would remove, so it has to be parsed; false
 * only when every stanza-id tag in it is read and its `by` names some
 * other entity. Conservative: a prefixed stanza-id, a `by` with an XML
 * escape, a tag this scanner cannot read, or a stanza-id without `by`
 * answer true. Lets the common case (a room's groupchat with the room's
 * stanza-id) skip the parse without comparing raw strings
 * (`Juliet@Capulet.LIT` and `juliet@capulet.lit.` name the same account).
 */
export function mayClaimArchive(xml: string, archive: string): boolean {
  if (xml.includes(':stanza-id')) return true;
  for (let i = xml.indexOf('<stanza-id'); i !== -1; i = xml.indexOf('<stanza-id', i + 1)) {
    const after = xml.charCodeAt(i + 10);
    // <stanza-idx…> is another element; anything else after the name is read as a tag.
    if (after !== 0x20 && after !== 0x2f && after !== 0x3e && after !== 0x09 && after !== 0x0a)
      continue;
    const by = byOfTag(xml, i + 10);
    if (by === null || by.includes('&') || claimsArchive(by, archive)) return true;
  }
  return false;
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
