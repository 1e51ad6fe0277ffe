/**
 * Archiving decisions on the serialized message, without parsing it, for
 * the common case: a message as Parley serializes it (every `<` opens or
 * closes a tag; no comments, CDATA or processing instructions) that carries
 * no XEP-0334 hint and no XEP-0359 stanza-id. Anything else is left to the
 * parsed path (`notArchivedReason`, `stripStanzaIds`, `setStanzaId`).
 */
import { escapeAttr } from '@parley/xml';
import { NS_CLIENT, NS_HINTS, NS_SID } from './ns.js';

/**
 * `yes`: archivable by content (a top-level `<body/>` in the client
 * namespace, no hints); `no`: certainly not (no such body); `parse`: it
 * cannot be told without parsing. The type is checked separately
 * (`mayBeArchivable`).
 */
export function quickArchivable(xml: string): 'yes' | 'no' | 'parse' {
  if (!xml.startsWith('<message') || xml.includes(NS_HINTS) || xml.includes(NS_SID)) {
    return 'parse';
  }
  let depth = 0;
  let i = xml.indexOf('<');
  while (i !== -1) {
    if (xml.charCodeAt(i + 1) === 0x2f /* / */) {
      depth--;
      i = xml.indexOf('<', i + 2);
      continue;
    }
    const end = tagEnd(xml, i);
    if (end === -1) return 'parse';
    const selfClosing = xml.charCodeAt(end - 1) === 0x2f;
    let nameEnd = i + 1;
    while (nameEnd < end && !isNameStop(xml.charCodeAt(nameEnd))) nameEnd++;
    const name = xml.slice(i + 1, nameEnd);
    if (depth === 0) {
      // The message itself: its default namespace is what an unprefixed <body> inherits.
      const ns = xmlnsOf(xml, nameEnd, end);
      if (ns !== undefined && ns !== NS_CLIENT && ns !== 'jabber:server') return 'parse';
      if (selfClosing) return 'no';
    } else if (depth === 1 && name === 'body') {
      const ns = xmlnsOf(xml, nameEnd, end);
      return ns === undefined || ns === NS_CLIENT || ns === 'jabber:server' ? 'yes' : 'parse';
    }
    if (!selfClosing) depth++;
    i = xml.indexOf('<', end + 1);
  }
  return 'no';
}

/**
 * Adds `<stanza-id xmlns='urn:xmpp:sid:0' by=archive id=id/>` as the last
 * child of a serialized message that has none (see quickArchivable);
 * undefined when the message is self-closing.
 */
export function appendStanzaId(xml: string, archive: string, id: string): string | undefined {
  const close = xml.lastIndexOf('</message>');
  if (close === -1 || close + 10 !== xml.length) return undefined;
  return (
    xml.slice(0, close) +
    `<stanza-id xmlns="${NS_SID}" by="${escapeAttr(archive)}" id="${escapeAttr(id)}"/>` +
    xml.slice(close)
  );
}

/** The index of the `>` closing the tag that starts at `start`, skipping quoted values. */
function tagEnd(xml: string, start: number): number {
  let quote = 0;
  for (let j = start + 1; j < xml.length; j++) {
    const c = xml.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === 0x3e) {
      return j;
    }
  }
  return -1;
}

function isNameStop(c: number): boolean {
  return c === 0x20 || c === 0x2f || c === 0x3e || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The value of a plain `xmlns` attribute in the tag text between `from` and `to`. */
function xmlnsOf(xml: string, from: number, to: number): string | undefined {
  const tag = xml.slice(from, to);
  const m = /(?:^|\s)xmlns\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(tag);
  if (m === null) return undefined;
  return m[1] ?? m[2];
}
