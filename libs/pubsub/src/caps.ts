import { createHash } from 'node:crypto';
import { NS_DATA_FORMS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { NS_CAPS } from './ns.js';

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

const HASHES: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** Code-point order of UTF-8 octets ("i;octet" collation). */
function octetCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The XEP-0115 section 5.1 verification string of a disco#info result:
 * identities, features and extended data forms in octet order. Undefined
 * when the result is ill-formed (duplicate identities or features, a form
 * without FORM_TYPE, two forms of one FORM_TYPE), which 5.4 says not to cache.
 */
export function verificationString(query: Element): string | undefined {
  const identities: string[] = [];
  const features: string[] = [];
  const forms: { type: string; text: string }[] = [];
  for (const child of query.getChildElements()) {
    if (child.localName === 'identity') {
      const id = [
        child.attr('category') ?? '',
        child.attr('type') ?? '',
        child.attr('xml:lang') ?? '',
        child.attr('name') ?? '',
      ].join('/');
      identities.push(id);
    } else if (child.localName === 'feature') {
      features.push(child.attr('var') ?? '');
    } else if (child.is('x', NS_DATA_FORMS)) {
      let formType: string | undefined;
      const fields: { v: string; values: string[] }[] = [];
      for (const f of child.getChildren('field')) {
        const v = f.attr('var');
        if (v === undefined) continue;
        const values = f.getChildren('value').map((e) => e.text());
        if (v === 'FORM_TYPE') {
          if (f.attr('type') !== 'hidden' && f.attr('type') !== undefined) return undefined;
          formType = values[0];
        } else fields.push({ v, values: values.sort(octetCompare) });
      }
      if (formType === undefined) return undefined;
      fields.sort((a, b) => octetCompare(a.v, b.v));
      let text = `${formType}<`;
      for (const f of fields) text += `${f.v}<${f.values.map((x) => `${x}<`).join('')}`;
      forms.push({ type: formType, text });
    }
  }
  if (new Set(identities).size !== identities.length) return undefined;
  if (new Set(features).size !== features.length) return undefined;
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  identities.sort(octetCompare);
  features.sort(octetCompare);
  forms.sort((a, b) => octetCompare(a.type, b.type));
  return (
    identities.map((i) => `${i}<`).join('') +
    features.map((f) => `${f}<`).join('') +
    forms.map((f) => f.text).join('')
  );
}

/** Whether the disco#info result hashes to the announced ver; false for unknown hashes. */
export function verifyCaps(caps: Caps, query: Element): boolean {
  const algo = caps.hash ? HASHES[caps.hash] : undefined;
  if (!algo) return false;
  const s = verificationString(query);
  if (s === undefined) return false;
  return createHash(algo).update(s, 'utf8').digest('base64') === caps.ver;
}

/** The ver a client announcing this disco#info result would send (tests, tools). */
export function capsVer(query: Element, hash = 'sha-1'): string {
  const algo = HASHES[hash];
  const s = verificationString(query);
  if (!algo || s === undefined) throw new Error('cannot compute a caps ver for this result');
  return createHash(algo).update(s, 'utf8').digest('base64');
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
