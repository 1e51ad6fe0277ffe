/**
 * Archiving preferences (XEP-0441, in the urn:xmpp:mam:2 namespace):
 * <prefs default='always|never|roster'><always><jid/>..</always><never>..</never></prefs>.
 */
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import { badRequest, jidMalformed } from '@parley/stanza';
import type { ArchivePrefs } from '@parley/store';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_MAM } from './ns.js';

export type ArchiveDefault = ArchivePrefs['default'];

const DEFAULTS: readonly string[] = ['always', 'never', 'roster'];

export function isArchiveDefault(s: string | undefined): s is ArchiveDefault {
  return s !== undefined && DEFAULTS.includes(s);
}

/** Preferences of an archive nobody configured: `def` for everyone, empty lists. */
export function defaultPrefs(def: ArchiveDefault): ArchivePrefs {
  return { default: def, always: [], never: [] };
}

/**
 * Reads a <prefs/> element of an IQ set. JIDs are normalized and kept as
 * written otherwise (bare or full: XEP-0441 section 2.3 matches both);
 * duplicates are dropped, and a JID in both lists is kept in <never/> only.
 * Throws bad-request for a missing or unknown default, jid-malformed for
 * a bad JID.
 */
export function parsePrefs(el: Element): ArchivePrefs {
  if (!el.is('prefs', NS_MAM)) throw badRequest('expected <prefs xmlns="urn:xmpp:mam:2"/>');
  const def = el.attr('default');
  if (!isArchiveDefault(def))
    throw badRequest("<prefs/> needs default='always', 'never' or 'roster'");
  const list = (name: 'always' | 'never'): string[] => {
    const lists = el.getChildren(name, NS_MAM);
    if (lists.length > 1) throw badRequest(`more than one <${name}/>`);
    const out = new Set<string>();
    for (const j of lists[0]?.getChildren('jid', NS_MAM) ?? []) {
      const raw = j.text().trim();
      const jid = tryParseJID(raw);
      if (!jid) throw jidMalformed(`not a valid JID: ${raw}`);
      out.add(jid.toString());
    }
    return [...out];
  };
  const never = list('never');
  const blocked = new Set(never);
  return { default: def, always: list('always').filter((j) => !blocked.has(j)), never };
}

/** `<prefs xmlns='urn:xmpp:mam:2' default><always>..</always><never>..</never></prefs>`; both lists always present. */
export function prefsElement(prefs: ArchivePrefs): Element {
  const jids = (items: string[]) => items.map((j) => xml('jid', {}, j));
  return xml(
    'prefs',
    { xmlns: NS_MAM, default: prefs.default },
    xml('always', {}, ...jids(prefs.always)),
    xml('never', {}, ...jids(prefs.never)),
  );
}

/**
 * What the preferences say about messages with `peer` (the 'to' of an
 * outgoing, the 'from' of an incoming message): a listed JID with a
 * resource matches that full JID only, a bare one any JID of that account
 * (XEP-0441 section 2.3). <never/> wins over <always/>. 'roster' means:
 * archive when the peer's bare JID is in the user's roster; the caller
 * looks that up.
 */
export function prefsRule(prefs: ArchivePrefs, peer: JID): ArchiveDefault {
  const full = peer.toString();
  const bare = peer.toBareString();
  const listed = (items: string[]) =>
    items.includes(bare) || (full !== bare && items.includes(full));
  if (prefs.never.length > 0 && listed(prefs.never)) return 'never';
  if (prefs.always.length > 0 && listed(prefs.always)) return 'always';
  return prefs.default;
}
