import { createHash } from 'node:crypto';
import { CAPS_HASHES, capsVer, verificationString } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { NS_CAPS } from './ns.js';

export { capsVer, verificationString };

/** A `<c xmlns='http://jabber.org/protocol/caps'/>` element of a presence. */
export interface Caps {
  node: string;
  ver: string;
  /** Hash function name (XEP-0115 5.1); absent for legacy caps. */
  hash?: string;
}

/** Reads the caps element of a presence, if it has a well-formed one. */
export function capsOf(presence: Element): Caps | undefined {
  const c = presence.getChild('c', NS_CAPS);
  const node = c?.attr('node');
  const ver = c?.attr('ver');
  if (!c || !node || !ver) return undefined;
  const hash = c.attr('hash');
  return hash ? { node, ver, hash } : { node, ver };
}

/** The cache key of a caps announcement: one disco#info answer per key. */
export function capsKey(caps: Caps): string {
  return caps.hash ? `${caps.hash} ${caps.ver}` : `${caps.node}#${caps.ver}`;
}

/** Whether the disco#info result hashes to the announced ver; false for unknown hashes. */
export function verifyCaps(caps: Caps, query: Element): boolean {
  const algo = caps.hash ? CAPS_HASHES[caps.hash] : undefined;
  if (!algo) return false;
  const s = verificationString(query);
  if (s === undefined) return false;
  return createHash(algo).update(s, 'utf8').digest('base64') === caps.ver;
}

/** The NodeIDs a disco#info result asks notifications for (`<node>+notify` features). */
export function notifyNodes(query: Element): Set<string> {
  const out = new Set<string>();
  for (const f of query.getChildren('feature')) {
    const v = f.attr('var');
    if (v !== undefined && v.endsWith('+notify')) out.add(v.slice(0, -'+notify'.length));
  }
  return out;
}
